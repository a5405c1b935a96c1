#!/usr/bin/env python3
"""Convert the Debian iso-codes JSON files into the JSON-lines files of this folder.

    datasets/iso-codes/convert.py [--source DIR] [--out DIR]

DIR defaults to /usr/share/iso-codes/json (Debian package `iso-codes`); the output defaults to the
folder of this script. Output is deterministic: rows sorted by primary key, keys in the column order
of schema.sql, compact separators, UTF-8 (no \\u escapes), one trailing newline per row. Keys that
are absent in the source stay absent (they are the point: a loader must use the column default).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(source, file_name, key):
    path = os.path.join(source, file_name)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)[key]
    except OSError as e:
        sys.exit(f"convert.py: cannot read {path} ({e.strerror}): install it with `apt-get install iso-codes` or pass --source DIR")


def pick(record, columns, convert=None):
    """The record's keys in column order; absent keys are left out, never written as null."""
    convert = convert or {}
    out = {}
    for column in columns:
        if column in record:
            value = record[column]
            out[column] = convert[column](value) if column in convert else value
    return out


def countries(source):
    columns = ["alpha_2", "alpha_3", "numeric", "name", "official_name", "common_name", "flag"]
    rows = [pick(r, columns, {"numeric": int}) for r in load(source, "iso_3166-1.json", "3166-1")]
    return sorted(rows, key=lambda r: r["alpha_2"])


def subdivisions(source):
    rows = []
    for r in load(source, "iso_3166-2.json", "3166-2"):
        row = {"code": r["code"], "country": r["code"].split("-", 1)[0]}
        row.update(pick(r, ["name", "type", "parent"]))
        rows.append(row)
    return sorted(rows, key=lambda r: r["code"])


def languages(source):
    columns = ["alpha_3", "alpha_2", "bibliographic", "name", "inverted_name", "common_name", "scope", "type"]
    rows = [pick(r, columns) for r in load(source, "iso_639-3.json", "639-3")]
    return sorted(rows, key=lambda r: r["alpha_3"])


def write(out_dir, name, rows):
    path = os.path.join(out_dir, name)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
    os.replace(tmp, path)
    print(f"{path}: {len(rows)} rows", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="/usr/share/iso-codes/json", help="iso-codes JSON folder")
    parser.add_argument("--out", default=HERE, help="output folder (default: this script's folder)")
    args = parser.parse_args()
    write(args.out, "countries.jsonl", countries(args.source))
    write(args.out, "subdivisions.jsonl", subdivisions(args.source))
    write(args.out, "languages.jsonl", languages(args.source))


if __name__ == "__main__":
    main()
