#!/usr/bin/env bash
# Runs an example against the scratch server as its trust role, over TCP without TLS:
#   run_example.sh BUILD/scratch-pg/server.env EXAMPLE [ARGS...]
set -euo pipefail
env_file=$1
shift
# shellcheck disable=SC1090
source "$env_file"
exe=$1
shift
rc=0
"$exe" "host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_TRUST_USER dbname=postgres sslmode=disable" "$@" || rc=$?
# ctest's PASS_REGULAR_EXPRESSION ignores the exit code; this line makes FAIL_REGULAR_EXPRESSION see it.
if ((rc != 0)); then
  echo "example failed with exit code $rc"
  exit "$rc"
fi
