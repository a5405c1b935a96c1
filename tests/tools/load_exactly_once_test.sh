#!/usr/bin/env bash
# `pgstream load` stopped the hard ways, each row ends up in the table exactly once:
#   * kill -9 of the loader mid-load, then --resume; the same with the server restarted between;
#   * a server restart (pg_ctl restart -m fast) in the middle of a load: it finishes by itself, exit 0;
#   * Ctrl-C (SIGINT): exit 130 after the batches in flight commit, then --resume; a second Ctrl-C
#     aborts at once, and --resume still loads each row once;
#   * after kill -9 + --resume the rejects file has each bad line exactly once;
#   * --resume of a finished load loads nothing and says so; --resume with a changed file is refused.
# Runs its own server: restarting the shared scratch server would break tests running beside it.
#
#   load_exactly_once_test.sh SCRATCH_POSTGRES PGSTREAM_BINARY WORK_DIR
set -euo pipefail
# shellcheck source=cli_support.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cli_support.sh"
scratch=${1:?usage: load_exactly_once_test.sh SCRATCH_POSTGRES PGSTREAM_BINARY WORK_DIR}
pgstream=${2:?}
work=${3:?}
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$scratch" start "$work/pg" --no-ssl >/dev/null
trap '"$scratch" stop "$work/pg" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
source "$work/pg/server.env"
PG_BIN=${PGSTREAM_PG_BIN:-/usr/lib/postgresql/15/bin}
restart_server() {
  local cmd=("$PG_BIN/pg_ctl" restart -D "$PGSTREAM_TEST_DATA_DIR" -m fast -w -t 60 -l "$PGSTREAM_TEST_LOG")
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "${cmd[@]}" >/dev/null; else "${cmd[@]}" >/dev/null; fi
}

admin="host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_ADMIN_USER dbname=postgres sslmode=disable"
sql() { "$pgstream" sql -d "$admin" -c "$1" 2>/dev/null | head -1; }

# 1M lines, every 10007th not JSON.
n=1000000
awk -v n=$n 'BEGIN { for (i = 1; i <= n; i++) if (i % 10007 == 0) printf "{bad %d\n", i; else printf "{\"id\":%d,\"v\":\"r%d\"}\n", i, i }' >in.jsonl
bad=$((n / 10007))
good=$((n - bad))
grep -v '^{bad' in.jsonl >clean.jsonl

load_args=(load -d "$admin" -t t -c 2 --batch-rows 1000 --retries 30 --retry-max-backoff 500)
fresh() { sql "DROP TABLE IF EXISTS t; CREATE TABLE t(id int NOT NULL, v text)" >/dev/null; rm -f rej.jsonl; }
count() { sql "SELECT count(*) FROM t"; }
check_once() {
  local got
  got=$(sql "SELECT count(*) || ' ' || count(DISTINCT id) FROM t")
  [[ $got == "$good $good" ]] || fail "$1: table has (rows, distinct ids) = ($got), expected $good each"
}
check_rejects() {
  local lines distinct
  lines=$(wc -l <rej.jsonl)
  distinct=$(grep -o '"line":[0-9]*' rej.jsonl | sort -u | wc -l)
  [[ $lines -eq $bad && $distinct -eq $bad ]] || fail "$1: rejects file has $lines records of $distinct lines, expected $bad"
}
# Starts a load in the background and waits until it has committed something.
start_load() {
  "$pgstream" "${load_args[@]}" --rejects rej.jsonl "$@" >bg_out.txt 2>bg_err.txt &
  pid=$!
  for _ in $(seq 1 500); do
    [[ $(count) -gt 50000 ]] && return 0
    kill -0 $pid 2>/dev/null || fail "the load ended before it could be stopped: $(cat bg_out.txt bg_err.txt)"
    sleep 0.01
  done
  fail "the load committed nothing"
}
stopped_midway() {
  local c
  c=$(count)
  [[ $c -lt $good ]] || fail "$1: the load finished before it was stopped ($c rows): nothing was tested"
}

# kill -9, then --resume (with synchronous_commit off: the server does not crash here, so no
# commit it acknowledged can be lost).
fresh
start_load --synchronous-commit off in.jsonl
kill -9 $pid
wait $pid 2>/dev/null || true
stopped_midway "kill -9"
run "${load_args[@]}" --rejects rej.jsonl --resume in.jsonl
expect_rc 3 "--resume after kill -9"
grep -q 'resumed' out.txt || fail "the report does not say it resumed: $(cat out.txt)"
check_once "kill -9 + --resume"
check_rejects "kill -9 + --resume"

# Resuming the finished load: nothing to do.
run "${load_args[@]}" --rejects rej.jsonl --resume in.jsonl
expect_rc 0 "--resume of a finished load"
grep -q 'finished already' out.txt || fail "resume of a finished load: $(cat out.txt)"
check_once "--resume of a finished load"

# kill -9, server restart, then --resume.
fresh
start_load in.jsonl
kill -9 $pid
wait $pid 2>/dev/null || true
stopped_midway "kill -9 before a restart"
restart_server
run "${load_args[@]}" --rejects rej.jsonl --resume in.jsonl
expect_rc 3 "--resume after kill -9 and a server restart"
check_once "kill -9 + restart + --resume"
check_rejects "kill -9 + restart + --resume"

# A server restart in the middle of a load: it reconnects and finishes, exit 0.
fresh
start_load clean.jsonl
restart_server
rc=0
wait $pid || rc=$?
[[ $rc -eq 0 ]] || fail "load across a server restart: exit $rc ($(cat bg_out.txt bg_err.txt))"
grep -q 'connections reopened' bg_out.txt || fail "the report does not mention the reconnects: $(cat bg_out.txt)"
check_once "server restart mid-load"

# Ctrl-C: the batches in flight commit, exit 130; then --resume.
fresh
start_load in.jsonl
kill -INT $pid
rc=0
wait $pid || rc=$?
[[ $rc -eq 130 ]] || fail "SIGINT: exit $rc ($(cat bg_out.txt bg_err.txt))"
grep -q 'INTERRUPTED' bg_out.txt || fail "SIGINT report: $(cat bg_out.txt)"
stopped_midway "SIGINT"
run "${load_args[@]}" --rejects rej.jsonl --resume in.jsonl
expect_rc 3 "--resume after SIGINT"
check_once "SIGINT + --resume"
check_rejects "SIGINT + --resume"

# A second Ctrl-C aborts at once. A session holding a lock on the table keeps the batches in
# flight waiting: the first SIGINT waits for them, the second does not.
fresh
start_load in.jsonl
"$pgstream" sql -d "$admin application_name=eo_locker" \
  -c "BEGIN; LOCK TABLE t IN SHARE MODE; SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 &
locker=$!
for _ in $(seq 1 300); do
  [[ $(sql "SELECT count(*) FROM pg_locks WHERE relation = 't'::regclass AND mode = 'ShareLock' AND granted") == 1 ]] && break
  sleep 0.01
done
sleep 0.3
kill -INT $pid
sleep 0.5
kill -0 $pid 2>/dev/null || fail "the first SIGINT did not wait for the batches in flight: $(cat bg_out.txt bg_err.txt)"
kill -INT $pid
rc=0
wait $pid || rc=$?
[[ $rc -eq 130 ]] || fail "two SIGINTs: exit $rc ($(cat bg_out.txt bg_err.txt))"
grep -q 'aborted' bg_out.txt || fail "two SIGINTs report: $(cat bg_out.txt)"
kill -0 $locker 2>/dev/null || fail "the second SIGINT waited for the lock to go"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'eo_locker'" >/dev/null
wait $locker 2>/dev/null || true
stopped_midway "two SIGINTs"
run "${load_args[@]}" --rejects rej.jsonl --resume in.jsonl
expect_rc 3 "--resume after two SIGINTs"
check_once "two SIGINTs + --resume"
check_rejects "two SIGINTs + --resume"

# A changed input file: --resume is refused, and says why.
echo '{"id":0,"v":"new"}' >>in.jsonl
run "${load_args[@]}" --rejects rej.jsonl --resume in.jsonl
expect_rc 1 "--resume with a changed file"
grep -q 'input changed' err.txt || fail "changed-input message: $(cat err.txt)"
check_once "refused resume"
echo "load exactly once: all checks passed"
