# Helpers shared by the `pgstream` command-line tests; sourced, not run. The sourcing script sets
# $pgstream (the binary under test) and works in a directory of its own: run() leaves out.txt and
# err.txt in the current directory.

fail() { echo "FAIL: $*" >&2; exit 1; }

# run ARGS...: runs pgstream, stdout in out.txt, stderr in err.txt, the exit status in $rc
# (set -e is off around it, so a non-zero status is recorded, not fatal).
run() {
  set +e
  "$pgstream" "$@" >out.txt 2>err.txt
  rc=$?
  set -e
}

# expect_rc STATUS WHAT: the last run() exited with STATUS; otherwise fail with what it printed.
expect_rc() {
  [[ $rc -eq $1 ]] ||
    fail "expected exit $1, got $rc from: $2 (stdout: $(head -c 600 out.txt); stderr: $(head -c 400 err.txt))"
}
