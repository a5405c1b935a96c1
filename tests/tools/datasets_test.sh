#!/usr/bin/env bash
# The bundled datasets and the generator:
#   * every line of datasets/iso-codes/*.jsonl is one JSON object, row counts match its README,
#     convert.py reproduces the committed files byte for byte (when iso-codes is installed);
#   * generate-jsonl: --rows N gives N valid lines, the same seed gives the same bytes (also with
#     --gzip), another seed other bytes, and 10,000 rows at the default rates hold nulls, absent
#     keys and non-ASCII text in every column but id;
#   * with PostgreSQL at hand: both schema.sql files apply, and the bundled files plus 1,000
#     generated rows load into them through psql (jsonb_populate_record), so the data fits the DDL.
#
#   tests/tools/datasets_test.sh SOURCE_DIR [MAKE_CERT_TOOL] [WORK_DIR]
# Without MAKE_CERT_TOOL, or without psql/initdb, the PostgreSQL part is skipped (reported).
set -euo pipefail
src=$(cd "${1:?usage: datasets_test.sh SOURCE_DIR [MAKE_CERT_TOOL] [WORK_DIR]}" && pwd)
cert_tool=${2:-}
own_work=0
if [[ -n ${3:-} ]]; then work=$3; else work=$(mktemp -d /tmp/pgstream-datasets.XXXXXX); own_work=1; fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
ds=$src/datasets
gen=$ds/generate-jsonl
scratch=$work/pg
started=0
cleanup() {
  local rc=$?
  if ((started)); then "$src/tools/scratch-postgres" stop "$scratch" >/dev/null 2>&1 || true; fi
  # Keep the generated files of a failed run for a look; drop them otherwise.
  if ((rc == 0)); then
    rm -rf "$work/iso" "$work"/*.jsonl "$work"/*.jsonl.gz
    if ((own_work)); then rm -rf "$work"; fi
  fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- bundled iso-codes files ----
python3 - "$ds/iso-codes" <<'EOF' || fail "bundled iso-codes files"
import json, os, re, sys
d = sys.argv[1]
readme = open(os.path.join(d, "README.md"), encoding="utf-8").read()
for name, key in [("countries", "alpha_2"), ("subdivisions", "code"), ("languages", "alpha_3")]:
    path = os.path.join(d, name + ".jsonl")
    keys, non_ascii = [], 0
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.endswith(b"\n"):
                sys.exit(f"{path}:{n}: no newline at the end of the line")
            row = json.loads(raw.decode("utf-8"))
            if not isinstance(row, dict):
                sys.exit(f"{path}:{n}: not a JSON object")
            keys.append(row[key])
            non_ascii += any(b > 127 for b in raw)
    m = re.search(r"^\| `%s\.jsonl` *\|[^|]*\| *(\d+) *\|[^|]*\| *(\d+)" % name, readme, re.M)
    if not m:
        sys.exit(f"README.md has no table row for {name}.jsonl")
    if (len(keys), non_ascii) != (int(m.group(1)), int(m.group(2))):
        sys.exit(f"{name}.jsonl: {len(keys)} rows, {non_ascii} non-ASCII; README says {m.group(1)}, {m.group(2)}")
    if keys != sorted(set(keys)):
        sys.exit(f"{name}.jsonl: {key} is not unique and sorted")
    print(f"{name}.jsonl: {len(keys)} rows, {non_ascii} with non-ASCII")
EOF
# Only the iso-codes version the files came from must reproduce them; a newer one may differ.
bundled_version=$(grep -o 'version \*\*[^*]*\*\*' "$ds/iso-codes/README.md" | tr -d '*' | cut -d' ' -f2)
installed_version=$(dpkg-query -W -f '${Version}' iso-codes 2>/dev/null || true)
if [[ -f /usr/share/iso-codes/json/iso_3166-1.json && $installed_version == "$bundled_version" ]]; then
  mkdir -p "$work/iso"
  python3 "$ds/iso-codes/convert.py" --out "$work/iso" 2>/dev/null
  for f in countries subdivisions languages; do
    cmp -s "$work/iso/$f.jsonl" "$ds/iso-codes/$f.jsonl" ||
      fail "convert.py output for $f.jsonl differs from the committed file (new iso-codes version? rerun convert.py)"
  done
  echo "convert.py reproduces the committed files"
else
  echo "SKIP: iso-codes ${installed_version:-not installed}, files are from $bundled_version: convert.py not rerun"
fi

# ---- the generator ----
sha() { sha256sum "$1" | cut -d' ' -f1; }
"$gen" --rows 10000 --seed 7 --out "$work/a.jsonl" 2>/dev/null
"$gen" --rows 10000 --seed 7 --out "$work/b.jsonl" 2>/dev/null
"$gen" --rows 10000 --seed 8 --out "$work/c.jsonl" 2>/dev/null
[[ $(sha "$work/a.jsonl") == $(sha "$work/b.jsonl") ]] || fail "the same seed gave different files"
[[ $(sha "$work/a.jsonl") != $(sha "$work/c.jsonl") ]] || fail "seeds 7 and 8 gave the same file"
"$gen" --rows 10000 --seed 7 >"$work/stdout.jsonl" 2>/dev/null
cmp -s "$work/a.jsonl" "$work/stdout.jsonl" || fail "stdout and --out differ"
"$gen" --rows 10000 --seed 7 --gzip --out "$work/a1.jsonl.gz" 2>/dev/null
"$gen" --rows 10000 --seed 7 --gzip --out "$work/a2.jsonl.gz" 2>/dev/null
cmp -s "$work/a1.jsonl.gz" "$work/a2.jsonl.gz" || fail "--gzip output is not reproducible"
gzip -dc "$work/a1.jsonl.gz" | cmp -s - "$work/a.jsonl" || fail "--gzip output does not decompress to the plain output"
seed_msg=$("$gen" --rows 1 2>&1 >/dev/null)
[[ $seed_msg == *"seed 20240601"* ]] || fail "the default seed is not printed on stderr: $seed_msg"
for n in 0 1 8191 8192 8193; do
  got=$("$gen" --rows $n 2>/dev/null | wc -l)
  [[ $got -eq $n ]] || fail "--rows $n gave $got lines"
done
if "$gen" --rows 10 --null-rate 0.7 --missing-rate 0.7 >/dev/null 2>&1; then fail "rates adding up to 1.4 were accepted"; fi
# A reader that stops early is not an error.
"$gen" --rows 100000 2>/dev/null | head -1 >/dev/null || fail "generate-jsonl | head failed"

python3 - "$work/a.jsonl" <<'EOF' || fail "generated rows"
import json, sys
columns = ["id", "user_id", "score", "amount", "name", "active", "created_at", "birth_date", "tags",
           "scores", "attrs", "uuid", "ip"]
nulls = dict.fromkeys(columns, 0)
missing = dict.fromkeys(columns, 0)
non_ascii = 0
ids, uuids = [], set()
with open(sys.argv[1], "rb") as f:
    lines = f.read().split(b"\n")
assert lines[-1] == b"", "the file does not end with a newline"
for n, raw in enumerate(lines[:-1], 1):
    row = json.loads(raw.decode("utf-8"))
    keys = list(row)
    if keys != [c for c in columns if c in row] or not set(keys) <= set(columns):
        sys.exit(f"line {n}: keys {keys} are not a subsequence of the columns")
    for c in columns:
        if c not in row:
            missing[c] += 1
        elif row[c] is None:
            nulls[c] += 1
    ids.append(row["id"])
    if row.get("uuid"):
        uuids.add(row["uuid"])
    non_ascii += any(b > 127 for b in raw)
rows = len(lines) - 1
assert rows == 10000, rows
if ids != sorted(set(ids)) or not all(isinstance(i, int) and i > 2**31 for i in ids):
    sys.exit("id is not unique, increasing and beyond int4")
if nulls["id"] or missing["id"]:
    sys.exit("id is null or absent")
# Default rates 2% null, 1% absent: expect ~200 and ~100 per column; a wide band that still
# fails if a column never (or always) gets them.
for c in columns[1:]:
    if not 100 <= nulls[c] <= 300:
        sys.exit(f"{c}: {nulls[c]} nulls in 10,000 rows, expected about 200")
    if not 40 <= missing[c] <= 160:
        sys.exit(f"{c}: {missing[c]} absent keys in 10,000 rows, expected about 100")
if len(uuids) != rows - nulls["uuid"] - missing["uuid"]:
    sys.exit("uuid values repeat")
if non_ascii < rows // 4:
    sys.exit(f"only {non_ascii} lines with non-ASCII text")
text = open(sys.argv[1], encoding="utf-8").read()
for needle, what in [("\\u", "\\u escapes"), ('\\"', "escaped quotes"), ("\\\\", "escaped backslashes"),
                     ("\\n", "escaped newlines"), ("\\/", "escaped solidus"), ("E-", "exponents"),
                     ('Z"', "UTC 'Z' timestamps"), ('+05:30"', "offset timestamps"), ('"tags":[]', "empty arrays"),
                     ("😀", "emoji"), ("日", "CJK")]:
    if needle not in text:
        sys.exit(f"no {what} in 10,000 rows")
print(f"generated rows: {rows}, nulls {sum(nulls.values())}, absent keys {sum(missing.values())}, "
      f"{non_ascii} lines with non-ASCII")
EOF

# ---- PostgreSQL: the DDL applies and the data fits it ----
pg_bin=${PGSTREAM_PG_BIN:-/usr/lib/postgresql/15/bin}
if [[ -z $cert_tool ]] || ! command -v psql >/dev/null || [[ ! -x $pg_bin/initdb ]]; then
  echo "SKIP: no psql, initdb or certificate tool: schema.sql files not applied"
  echo "datasets: ok"
  exit 0
fi
"$gen" --rows 1000 --seed 11 --out "$work/load.jsonl" 2>/dev/null
started=1
dsn=$("$src/tools/scratch-postgres" start "$scratch" --cert-tool "$cert_tool")
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$dsn" "$@"; }
q -c 'CREATE DATABASE datasets_test' >/dev/null
dsn="$dsn dbname=datasets_test"
# csv with quote and delimiter bytes absent from the data passes each line through unchanged.
copy_opts="WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
out=$(q <<EOF
\\i $ds/iso-codes/schema.sql
\\i $ds/synthetic/schema.sql
CREATE UNLOGGED TABLE raw_countries (j jsonb);
CREATE UNLOGGED TABLE raw_subdivisions (j jsonb);
CREATE UNLOGGED TABLE raw_languages (j jsonb);
CREATE UNLOGGED TABLE raw_events (n bigserial, j jsonb);
\\copy raw_countries (j) FROM '$ds/iso-codes/countries.jsonl' $copy_opts
\\copy raw_subdivisions (j) FROM '$ds/iso-codes/subdivisions.jsonl' $copy_opts
\\copy raw_languages (j) FROM '$ds/iso-codes/languages.jsonl' $copy_opts
\\copy raw_events (j) FROM '$work/load.jsonl' $copy_opts
INSERT INTO countries (alpha_2, alpha_3, "numeric", name, official_name, common_name, flag)
  SELECT alpha_2, alpha_3, "numeric", name, official_name, common_name, flag
  FROM raw_countries, jsonb_populate_record(null::countries, j);
INSERT INTO subdivisions SELECT r.* FROM raw_subdivisions, jsonb_populate_record(null::subdivisions, j) r;
INSERT INTO languages SELECT r.* FROM raw_languages, jsonb_populate_record(null::languages, j) r;
-- Absent keys take the defaults (active true, ingested_at now()), nulls stay NULL.
INSERT INTO events SELECT r.* FROM raw_events,
  jsonb_populate_record(ROW(NULL, NULL, NULL, NULL, NULL, true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, now())::events, j) r;
SELECT 'countries=' || count(*) || ',' || count(official_name) || ',' || count(*) FILTER (WHERE loaded_at IS NOT NULL)
  || ',' || (SELECT name FROM countries WHERE alpha_2 = 'AF') || ',' || (SELECT "numeric" FROM countries WHERE alpha_2 = 'AF')
  FROM countries;
SELECT 'subdivisions=' || count(*) || ',' || count(parent) FROM subdivisions;
SELECT 'languages=' || count(*) || ',' || count(alpha_2) FROM languages;
EOF
) || fail "loading into the schema failed (see above)"
echo "$out"
grep -qx 'countries=249,173,249,Afghanistan,4' <<<"$out" || fail "countries did not load as expected"
grep -qx 'subdivisions=5127,1412' <<<"$out" || fail "subdivisions did not load as expected"
grep -qx 'languages=7910,184' <<<"$out" || fail "languages did not load as expected"

# Every generated value survived: compare, per row and column, the loaded value with the JSON one.
expected=$(python3 - "$work/load.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
active_null = sum(1 for r in rows if "active" in r and r["active"] is None)
active_true = sum(1 for r in rows if r.get("active", True) is True)
names = sum(len(r["name"]) for r in rows if r.get("name"))
tags = sum(len(r["tags"]) for r in rows if r.get("tags"))
print(f"{len(rows)},{active_null},{active_true},{names},{tags}")
EOF
)
got=$(q -c "SELECT count(*) || ',' || count(*) FILTER (WHERE active IS NULL) || ',' || count(*) FILTER (WHERE active)
             || ',' || coalesce(sum(length(name)), 0) || ',' || coalesce(sum(cardinality(tags)), 0) FROM events")
[[ $got == "$expected" ]] || fail "events: rows,null active,true active,name characters,tag elements = $got, JSON says $expected"
mismatches=$(q <<'EOF'
SELECT count(*) FROM raw_events r JOIN events e ON e.id = (r.j->>'id')::bigint
WHERE (r.j->>'user_id')::int IS DISTINCT FROM e.user_id
   OR (r.j->>'score')::float8 IS DISTINCT FROM e.score
   OR (r.j->>'amount')::numeric IS DISTINCT FROM e.amount
   OR (r.j->>'name') IS DISTINCT FROM e.name
   OR CASE WHEN r.j ? 'active' THEN (r.j->>'active')::bool ELSE true END IS DISTINCT FROM e.active
   OR (r.j->>'created_at')::timestamptz IS DISTINCT FROM e.created_at
   OR (r.j->>'birth_date')::date IS DISTINCT FROM e.birth_date
   OR CASE WHEN jsonb_typeof(r.j->'tags') = 'array' THEN r.j->'tags' END IS DISTINCT FROM to_jsonb(e.tags)
   OR CASE WHEN jsonb_typeof(r.j->'scores') = 'array' THEN r.j->'scores' END IS DISTINCT FROM to_jsonb(e.scores)
   OR CASE WHEN jsonb_typeof(r.j->'attrs') = 'object' THEN r.j->'attrs' END IS DISTINCT FROM e.attrs
   OR (r.j->>'uuid')::uuid IS DISTINCT FROM e.uuid
   OR (r.j->>'ip')::inet IS DISTINCT FROM e.ip
   OR e.ingested_at IS NULL
EOF
)
[[ $mismatches == 0 ]] || fail "$mismatches loaded event rows differ from their JSON lines"
[[ $(q -c "SELECT count(*) FROM raw_events r LEFT JOIN events e ON e.id = (r.j->>'id')::bigint WHERE e.id IS NULL") == 0 ]] ||
  fail "some generated rows are not in events"
echo "PostgreSQL: schema.sql files applied; iso-codes and 1,000 generated rows loaded and compared"
echo "datasets: ok"
