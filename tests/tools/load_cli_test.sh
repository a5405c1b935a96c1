#!/usr/bin/env bash
# `pgstream load` as a user runs it, against the scratch server:
#   * exit codes: 0 all loaded, 3 finished with rejects, 1 stopped (max-errors, no server), 2 usage;
#   * stdin ('-'), gzip and zstd files and several files in one run, with --json counts;
#   * a SCRAM password in the connection string appears in no output, report, progress line or
#     rejects file, and the rejects file is readable by its owner only.
#
#   load_cli_test.sh SERVER_ENV PGSTREAM_BINARY WORK_DIR
set -euo pipefail
# shellcheck source=cli_support.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cli_support.sh"
# shellcheck disable=SC1090
source "${1:?usage: load_cli_test.sh SERVER_ENV PGSTREAM_BINARY WORK_DIR}"
pgstream=${2:?}
work=${3:?}
rm -rf "$work"
mkdir -p "$work"
cd "$work"

admin="host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_ADMIN_USER dbname=postgres sslmode=disable"
sql() { "$pgstream" sql -d "$admin" -c "$1"; }

sql "DROP SCHEMA IF EXISTS load_cli CASCADE; CREATE SCHEMA load_cli;
     CREATE TABLE load_cli.t(id int PRIMARY KEY, v text NOT NULL);
     GRANT ALL ON SCHEMA load_cli TO $PGSTREAM_TEST_SCRAM_USER; GRANT ALL ON load_cli.t TO $PGSTREAM_TEST_SCRAM_USER" >/dev/null

for i in $(seq 1 100); do echo "{\"id\":$i,\"v\":\"r$i\"}"; done >a.jsonl
for i in $(seq 101 200); do echo "{\"id\":$i,\"v\":\"r$i\"}"; done | gzip >b.jsonl.gz
for i in $(seq 201 300); do echo "{\"id\":$i,\"v\":\"r$i\"}"; done | zstd -q >c.jsonl.zst

# 0: several files of every kind, plus stdin (gzip on a pipe: told by its bytes, not a name).
run load -d "$admin" -t load_cli.t --json a.jsonl b.jsonl.gz c.jsonl.zst - \
  < <(for i in $(seq 301 350); do echo "{\"id\":$i,\"v\":\"r$i\"}"; done | gzip)
expect_rc 0 "a clean load"
grep -q '"rows_loaded":350' out.txt || fail "--json report: $(cat out.txt)"
grep -q '"files":4' out.txt || fail "--json files: $(cat out.txt)"
[[ $(sql "SELECT count(*), sum(id) FROM load_cli.t" | tail -n +1) == *"350"*"61425"* ]] ||
  fail "table content: $(sql "SELECT count(*), sum(id) FROM load_cli.t")"

# 3: finished with rejected lines (a duplicate key, a NOT NULL, bad JSON), rejects file private.
printf '{"id":1,"v":"dup"}\n{"id":400}\n{oops\n{"id":401,"v":"ok"}\n' >bad.jsonl
run load -d "$admin" -t load_cli.t --rejects rej.jsonl bad.jsonl
expect_rc 3 "a load with rejects"
[[ $(wc -l <rej.jsonl) -eq 3 ]] || fail "rejects file: $(cat rej.jsonl)"
[[ $(stat -c %a rej.jsonl) == 600 ]] || fail "rejects file mode $(stat -c %a rej.jsonl)"
grep -q 'rejected: 3' out.txt || fail "text report: $(cat out.txt)"

# 1: stopped by --max-errors, and by a server that is not there.
run load -d "$admin" -t load_cli.t --rejects rej2.jsonl --max-errors 0 bad.jsonl
expect_rc 1 "--max-errors 0"
run load -d "host=127.0.0.1 port=1 user=x dbname=postgres sslmode=disable connect_timeout=5" -t load_cli.t a.jsonl
expect_rc 1 "no server"
grep -qi 'connect' err.txt || fail "no-server message: $(cat err.txt)"

# 2: usage errors.
# Upsert through the CLI: a.jsonl's keys exist, u.jsonl updates two, adds one, repeats a key.
printf '{"id":1,"v":"new1"}\n{"id":2,"v":"new2"}\n{"id":1000,"v":"added"}\n{"id":2,"v":"newer2"}\n' >u.jsonl
run load -d "$admin" -t load_cli.t --on-conflict update --conflict-key id u.jsonl
expect_rc 0 "an upsert"
grep -q 'insert, on conflict update' out.txt || fail "upsert report mode: $(cat out.txt)"
grep -q 'rows: 1 inserted, 2 updated, 0 skipped' out.txt || fail "upsert report counts: $(cat out.txt)"
[[ $(sql "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM load_cli.t WHERE id IN (1, 2, 1000)") == *"1=new1,2=newer2,1000=added"* ]] ||
  fail "upserted rows: $(sql "SELECT id, v FROM load_cli.t WHERE id IN (1, 2, 1000)")"
run load -d "$admin" -t load_cli.t --on-conflict do-nothing --json u.jsonl
expect_rc 0 "an upsert that changes nothing"
grep -q '"rows_skipped":4' out.txt || fail "do-nothing report: $(cat out.txt)"
printf '{"id":2000,"v":"i"}\n{"id":2000,"v":"dup"}\n' >i.jsonl
run load -d "$admin" -t load_cli.t --mode insert --rejects irej.jsonl i.jsonl
expect_rc 3 "insert mode with a duplicate key"
grep -q '"sqlstate":"23505"' irej.jsonl || fail "insert-mode rejects: $(cat irej.jsonl)"

run load -t load_cli.t
expect_rc 2 "no FILE"
run load -d "$admin" -t load_cli.t --mode copy --on-conflict update a.jsonl
expect_rc 2 "--on-conflict with --mode copy"
run load -d "$admin" -t load_cli.t --conflict-key id a.jsonl
expect_rc 2 "--conflict-key without --on-conflict"
run load -d "$admin" -t load_cli.t --insert-form values a.jsonl
expect_rc 2 "--insert-form without --mode insert"
run load -d "$admin" -t load_cli.t --on-conflict update --conflict-key v a.jsonl
expect_rc 1 "a conflict key with no unique index"
grep -q 'no unique index' err.txt || fail "conflict-key message: $(cat err.txt)"
run load -d "$admin" -t load_cli.t --connections 0 a.jsonl
expect_rc 2 "--connections 0"
run load -d "$admin" -t load_cli.t --no-such-flag a.jsonl
expect_rc 2 "an unknown flag"

# Secrets: a password in the DSN shows up nowhere, even when things go wrong.
secret=$PGSTREAM_TEST_SCRAM_PASSWORD
dsn="postgresql://$PGSTREAM_TEST_SCRAM_USER:$secret@127.0.0.1:$PGSTREAM_TEST_PORT/postgres?sslmode=require"
printf '{"id":500,"v":"x"}\n{"id":500,"v":"dup"}\nnot json\n' >s.jsonl
run load -d "$dsn" -t load_cli.t --rejects srej.jsonl --progress --json s.jsonl
expect_rc 3 "a load as the SCRAM role"
run2_out=$(cat out.txt err.txt srej.jsonl)
run load -d "${dsn/postgres?/no_such_db?}" -t load_cli.t s.jsonl
expect_rc 1 "a wrong database"
run load -d "${dsn/:$PGSTREAM_TEST_PORT/:1}" -t load_cli.t s.jsonl
expect_rc 1 "a wrong port"
all="$run2_out $(cat out.txt err.txt)"
[[ $all != *"$secret"* ]] || fail "the password appears in the output"
echo "load CLI: all checks passed"
