#!/usr/bin/python3
"""asyncpg_load.py: the "Python script" peer of `pgstream load` (bench/run-load-vs-peers).

    /usr/bin/python3 bench/peers/asyncpg_load.py --dsn DSN --table events FILE.jsonl
        [--connections 4] [--batch-rows 10000] [--skip-columns ingested_at]

What a careful user would write with asyncpg (Debian python3-asyncpg): json.loads per line, each
value converted to the Python type asyncpg's binary codec wants for the column's real type
(read from the catalog), and copy_records_to_table in batches (one transaction each) spread over
N connections. Loading rules of datasets/: null -> NULL; an absent key -> the column default,
which this script evaluates once at start (right for constant defaults such as `true`); columns
whose default calls a function (now(), nextval) are left out of the COPY, so the server fills
them per row (the generated files never hold such columns). Prints one JSON line: rows, seconds.
"""
import argparse
import asyncio
import datetime
import decimal
import ipaddress
import json
import sys
import time
import uuid

import asyncpg


def scalar_converter(typname):
    """The function turning a json.loads value into what asyncpg encodes for this type."""
    if typname in ("int2", "int4", "int8", "text", "varchar", "bpchar", "bool", "name"):
        return None  # json already gives int / str / bool
    if typname in ("float4", "float8"):
        return float
    if typname == "numeric":
        return lambda v: decimal.Decimal(repr(v)) if isinstance(v, float) else decimal.Decimal(v)
    if typname == "timestamptz" or typname == "timestamp":
        return datetime.datetime.fromisoformat
    if typname == "date":
        return datetime.date.fromisoformat
    if typname in ("json", "jsonb"):
        return lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    if typname == "uuid":
        return uuid.UUID
    if typname in ("inet", "cidr"):
        return lambda v: ipaddress.ip_interface(v) if "/" in v else ipaddress.ip_address(v)
    raise SystemExit(f"asyncpg_load: no converter for type {typname}")


def converter(typname, elemname):
    if elemname is None:
        return scalar_converter(typname)
    inner = scalar_converter(elemname)
    if inner is None:
        return None  # a list of int / str / None is what asyncpg's array codec takes
    return lambda v: [None if x is None else inner(x) for x in v]


async def table_columns(conn, table, skip):
    rows = await conn.fetch(
        """SELECT a.attname, t.typname, et.typname AS elemname, pg_get_expr(d.adbin, d.adrelid) AS def
             FROM pg_attribute a
             JOIN pg_type t ON t.oid = a.atttypid
             LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""",
        table,
    )
    cols = []
    for r in rows:
        if r["attname"] in skip:
            continue
        default = None
        if r["def"] is not None:
            if "(" in r["def"]:
                continue  # a function call (now(), nextval): the server fills it per row
            default = await conn.fetchval(f"SELECT {r['def']}")
        cols.append((r["attname"], converter(r["typname"], r["elemname"]), default))
    return cols


def make_row(obj, cols):
    row = []
    for name, conv, default in cols:
        if name in obj:
            v = obj[name]
            row.append(v if v is None or conv is None else conv(v))
        else:
            row.append(default)
    return tuple(row)


async def worker(pool, table, names, queue, counter):
    schema, _, name = table.rpartition(".")
    async with pool.acquire() as conn:
        while True:
            batch = await queue.get()
            if batch is None:
                return
            async with conn.transaction():
                await conn.copy_records_to_table(name, schema_name=schema or None, records=batch, columns=names)
            counter[0] += len(batch)


def connect_args(dsn):
    """asyncpg takes URIs only: a libpq keyword/value string becomes keyword arguments."""
    if "://" in dsn:
        return {"dsn": dsn}
    names = {"host": "host", "port": "port", "user": "user", "dbname": "database", "password": "password",
             "sslmode": "ssl"}
    kw = {}
    for item in dsn.split():
        k, _, v = item.partition("=")
        if k in names:
            kw[names[k]] = int(v) if k == "port" else v
    if kw.get("ssl") == "disable":
        kw["ssl"] = False
    return kw


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--table", default="events")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--batch-rows", type=int, default=10000)
    ap.add_argument("--skip-columns", default="", help="comma-separated columns never to load")
    a = ap.parse_args()
    t0 = time.monotonic()
    pool = await asyncpg.create_pool(**connect_args(a.dsn), min_size=a.connections, max_size=a.connections)
    async with pool.acquire() as conn:
        cols = await table_columns(conn, a.table, set(filter(None, a.skip_columns.split(","))))
    names = [c[0] for c in cols]
    queue = asyncio.Queue(maxsize=2 * a.connections)  # back-pressure: bounded memory
    counter = [0]
    tasks = [asyncio.create_task(worker(pool, a.table, names, queue, counter)) for _ in range(a.connections)]
    loads = json.loads
    batch = []
    with open(a.file, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            batch.append(make_row(loads(line), cols))
            if len(batch) >= a.batch_rows:
                await queue.put(batch)
                batch = []
                for t in tasks:  # a failed worker must stop the load, not hang it
                    if t.done():
                        t.result()
    if batch:
        await queue.put(batch)
    for _ in tasks:
        await queue.put(None)
    await asyncio.gather(*tasks)
    await pool.close()
    print(json.dumps({"rows": counter[0], "seconds": time.monotonic() - t0}))


if __name__ == "__main__":
    asyncio.run(main())
