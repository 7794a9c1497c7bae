#!/usr/bin/env bash
# Instructions per env-step of bench_cartpole's loops (bare CartPole, VectorEnv
# over AllowAll, VectorEnv under examples/policies/cartpole_zone.yaml), 1
# thread, for N = 8, 64, 1024 envs, and the governance each adds (minus
# bare). For each source tree given (each already built with `.ci/build
# release`, or any build dir holding libagentos_core.a). Counts are
# callgrind's, so the machine's load does not change them; each is the
# difference of two runs of different lengths, which cancels start-up.
#   bench/instructions/cartpole.sh TREE BUILD [TREE2 BUILD2 ...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
policy="$here/../../examples/policies/cartpole_zone.yaml"
libs="-lyaml-cpp -lsqlite3 -lcrypto -lboost_system -lre2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | grep -o 'Collected : [0-9]*' | awk '{print $3}'; }
k=0
while [ $# -ge 2 ]; do
  tree="$1" build="$2"; shift 2
  bin="$work/driver$k"; k=$((k + 1))
  g++ -O3 -DNDEBUG -std=c++20 -pthread -isystem /usr/include/eigen3 -I"$tree" "$here/cartpole_driver.cc" \
    "$build/libagentos_core.a" $libs -o "$bin"
  echo "$tree ($(git -C "$tree" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$tree" diff --quiet 2>/dev/null || echo '+changes')):"
  for n in 8 64 1024; do
    short=$(( 40960 / n )); long=$(( 3 * short ))  # 40960 and 122880 env-steps
    line="  N=$(printf '%5d' $n)"
    for mode in bare allow safety; do
      a=$(ir "$bin" $mode $n $short "$policy"); b=$(ir "$bin" $mode $n $long "$policy")
      per=$(( (b - a) / ((long - short) * n) ))
      [ $mode = bare ] && bare=$per
      if [ $mode = bare ]; then line="$line  bare $per"; else line="$line  $mode $per (+$(( per - bare )))"; fi
    done
    echo "$line  instructions per env-step"
  done
done
