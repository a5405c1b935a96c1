#!/usr/bin/env bash
# Installs the build into a private prefix, then builds and runs tests/consumer twice: through
# find_package(pgstream) and through pkg-config.
set -euo pipefail
build=$1 work=$2
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

cmake -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer"

pcdir=$(dirname "$(find "$prefix" -name pgstream.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir
# shellcheck disable=SC2046
c++ -o "$work/consumer-pc" "$src/main.cpp" $(pkg-config --cflags --libs pgstream)
"$work/consumer-pc"
test -x "$prefix/bin/pgstream" || { echo "pgstream binary not installed" >&2; exit 1; }
echo "packaging: find_package and pkg-config consumers ok"
