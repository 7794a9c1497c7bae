#!/usr/bin/env bash
# Instructions per kernel check (bench_sql_check's statements) and per
# governed env-step (bench_env's VectorEnv, 1024 envs, 1 thread), for two
# source trees, each already built with `.ci/build release` (or any build
# dir holding libagentos_core.a). Counts are callgrind's, so the machine's
# load does not change them; each is the difference of two runs of
# different lengths, which cancels start-up.
#   bench/instructions/compare.sh OLD_TREE OLD_BUILD NEW_TREE NEW_BUILD
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
libs="-lyaml-cpp -lsqlite3 -lcrypto -lboost_system -lre2"
work="$(mktemp -d)"
build() {  # tree build out [defines]
  g++ -O3 -DNDEBUG -std=c++20 -pthread -isystem /usr/include/eigen3 -I"$1" ${4:-} "$here/ir_driver.cc" \
    "$2/libagentos_core.a" $libs -o "$3"
}
build "$1" "$2" "$work/old"
build "$3" "$4" "$work/new" -DNEW_TREE
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | grep -o 'Collected : [0-9]*' | awk '{print $3}'; }
for c in "short_select 2000 22000" "update_with_where 2000 22000" "analytic_2kb 200 2200" "insert 20 220" \
         "env 10 60" "env_noop 10 60"; do
  set -- $c
  for t in old new; do
    a=$(ir "$work/$t" "$1" "$2"); b=$(ir "$work/$t" "$1" "$3")
    echo "$t $1 $(( (b - a) / ($3 - $2) )) instructions per $( [ "${1%%_*}" = env ] && echo '1024 env-steps' || echo check)"
  done
done
rm -rf "$work"
