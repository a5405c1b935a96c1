#!/usr/bin/env bash
# `pgstream bench` as a user runs it, against the scratch server (in a database of its own):
#   * init, then runs that write --json, --hist (.hgrm) and --plot (SVG) files: the .hgrm has
#     HdrHistogram's layout and its total count, the SVG is well-formed XML with its series;
#   * `bench merge` of two runs: counts add up, and the merged histogram holds every sample;
#   * exit codes: 0 a clean run, 2 usage errors, 1 a script error (with file and line), 130 a run
#     stopped by SIGINT (after printing its report);
#   * a password in the connection string appears in no output, report, .hgrm or SVG.
#
#   bench_cli_test.sh SERVER_ENV PGSTREAM_BINARY WORK_DIR
set -euo pipefail
# shellcheck source=cli_support.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cli_support.sh"
# shellcheck disable=SC1090
source "${1:?usage: bench_cli_test.sh SERVER_ENV PGSTREAM_BINARY WORK_DIR}"
pgstream=${2:?}
work=${3:?}
rm -rf "$work"
mkdir -p "$work"
cd "$work"

base="host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_ADMIN_USER sslmode=disable"
"$pgstream" sql -d "$base dbname=postgres" -c "DROP DATABASE IF EXISTS bench_cli WITH (FORCE)" >/dev/null
"$pgstream" sql -d "$base dbname=postgres" -c "CREATE DATABASE bench_cli" >/dev/null
trap '"$pgstream" sql -d "$base dbname=postgres" -c "DROP DATABASE IF EXISTS bench_cli WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
dsn="$base dbname=bench_cli"

run bench init -d "$dsn" -s 1 -q
expect_rc 0 "bench init"
grep -q "100000 accounts" out.txt || fail "init report: $(cat out.txt)"

run bench -d "$dsn" -b select-only -c 2 -T 2 -P 1 --json a.json --hist a.hgrm --plot a.svg
expect_rc 0 "a select-only run"
grep -q "^tps = " out.txt || fail "no tps line: $(cat out.txt)"
grep -q "^progress: " err.txt || fail "no -P lines: $(cat err.txt)"
run bench -d "$dsn" -b tpcb-like -c 2 -t 50 --json b.json
expect_rc 0 "a tpcb-like run"
run bench merge a.json b.json --json m.json
expect_rc 0 "bench merge"

python3 - <<'PY' || fail "reports do not add up"
import json, xml.dom.minidom
a, b, m = (json.load(open(f)) for f in ("a.json", "b.json", "m.json"))
assert b["transactions"] == 100, b["transactions"]
assert m["transactions"] == a["transactions"] + b["transactions"], (m["transactions"], a["transactions"], b["transactions"])
assert m["latency"]["histogram"]["total_count"] == a["latency"]["count"] + b["latency"]["count"]
assert m["latency"]["max_ms"] == max(a["latency"]["max_ms"], b["latency"]["max_ms"])
# .hgrm: HdrHistogram's percentile distribution, total count in the footer.
lines = open("a.hgrm").read().splitlines()
assert lines[0].split() == ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"], lines[0]
footer = [l for l in lines if l.startswith("#[Max")][0]
assert footer.endswith("Total count    = %12d]" % a["latency"]["count"]) or ("Total count" in footer and str(a["latency"]["count"]) in footer), footer
# SVG: well-formed, with the latency and throughput series.
doc = xml.dom.minidom.parse("a.svg")
series = {p.getAttribute("data-series") for p in doc.getElementsByTagName("polyline")}
assert "latency" in series and "throughput" in series, series
PY

# Usage errors exit 2, a broken script exits 1 naming its line.
run bench -d "$dsn" -c 0 -t 1
expect_rc 2 "-c 0"
run bench -d "$dsn" -M bogus -t 1
expect_rc 2 "-M bogus"
run bench -d "$dsn" -T 1 -t 1
expect_rc 2 "-T with -t"
printf 'SELECT 1;\n\\if true\nSELECT 2;\n' >broken.sql
run bench -d "$dsn" -f broken.sql -t 1
expect_rc 1 "an unterminated \\if"
grep -q "broken.sql line 2" err.txt || fail "script error message: $(cat err.txt)"

# Ctrl-C: a -T 30 run interrupted once it is running prints the report for what ran and exits
# 130. Its first -P line says the run has started (the handler is in place by then).
"$pgstream" bench -d "$dsn" -b select-only -c 2 -T 30 -P 1 --json i.json >out.txt 2>err.txt &
bench_pid=$!
for _ in $(seq 100); do
  grep -q "^progress: " err.txt && break
  kill -0 "$bench_pid" 2>/dev/null || break
  sleep 0.2
done
grep -q "^progress: " err.txt || fail "the run to interrupt never printed progress: $(cat err.txt)"
kill -INT "$bench_pid"
set +e
wait "$bench_pid"
rc=$?
set -e
expect_rc 130 "a run interrupted with SIGINT"
grep -q "^tps = " out.txt || fail "no report after SIGINT: $(cat out.txt)"
grep -q "INTERRUPTED" out.txt || fail "the report does not say it was interrupted: $(cat out.txt)"
python3 - <<'PY' || fail "the interrupted run's JSON: $(cat i.json)"
import json
r = json.load(open("i.json"))
assert r["interrupted"] is True, r["interrupted"]
assert r["transactions"] > 0, r["transactions"]
assert r["seconds"] < 30, r["seconds"]
PY

# Secrets: the SCRAM role's password never shows.
"$pgstream" sql -d "$dsn" -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $PGSTREAM_TEST_SCRAM_USER" >/dev/null
secret=$PGSTREAM_TEST_SCRAM_PASSWORD
sdsn="postgresql://$PGSTREAM_TEST_SCRAM_USER:$secret@127.0.0.1:$PGSTREAM_TEST_PORT/bench_cli?sslmode=require"
# Two seconds, so -P prints, and every file a run writes.
run bench -d "$sdsn" -b select-only -T 2 -P 1 --json s.json --hist s.hgrm --plot s.svg
expect_rc 0 "a run as the SCRAM role"
grep -q "^progress: " err.txt || fail "no -P lines in the SCRAM run: $(cat err.txt)"
for f in s.json s.hgrm s.svg; do [[ -s $f ]] || fail "the SCRAM run wrote no $f"; done
all="$(cat out.txt err.txt s.json s.hgrm s.svg)"
run bench -d "${sdsn/bench_cli?/no_such_db?}" -b select-only -t 5
expect_rc 1 "a wrong database"
all="$all $(cat out.txt err.txt)"
[[ $all != *"$secret"* ]] || fail "the password appears in the output"
echo "bench CLI: all checks passed"
