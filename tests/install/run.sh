#!/usr/bin/env bash
# The CMake package as a C user sees it: `cmake --install` the release build
# into a scratch prefix, then build examples/c_consumer/main.c against that
# prefix twice, with find_package(agentos) and with pkg-config, and run both.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
[ -f build/release/CMakeCache.txt ] || .ci/build release --target agentos agentos_cli
cmake --build build/release -j "${AGENTOS_JOBS:-2}" --target agentos agentos_cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install build/release --prefix "$prefix" > "$work/install.log"
for f in include/agentos.h include/agentos_env.h bin/agentos; do
  [ -e "$prefix/$f" ] || { cat "$work/install.log"; echo "missing $prefix/$f"; exit 1; }
done
libdir=$(dirname "$(dirname "$(find "$prefix" -name agentos.pc)")")

echo "--- find_package(agentos)"
cmake -S examples/c_consumer -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/cmake" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/cmake/c_consumer"

echo "--- pkg-config --cflags --libs agentos"
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs agentos)
echo "flags: $flags"
# shellcheck disable=SC2086
cc -std=c11 -o "$work/pc_consumer" examples/c_consumer/main.c $flags
LD_LIBRARY_PATH="$libdir" "$work/pc_consumer"

echo "--- examples/custom_task: a task registered through the C API, governed"
cmake -S examples/custom_task -B "$work/custom_task" -DCMAKE_PREFIX_PATH="$prefix" > "$work/custom_configure.log" \
  || { cat "$work/custom_configure.log"; exit 1; }
cmake --build "$work/custom_task" > "$work/custom_build.log" || { cat "$work/custom_build.log"; exit 1; }
"$work/custom_task/custom_task"
