-- The table that datasets/generate-jsonl writes rows for. Column names equal the JSON keys.
-- Loading rules the generated data relies on:
--   * a key with the value null  -> SQL NULL;
--   * an absent key              -> the column default (true for active, now() for ingested_at,
--                                   NULL for the others);
--   * ingested_at is never in the file.
-- Every generated value fits these types (tests/tools/datasets_test.sh loads 1,000 rows with psql).

CREATE TABLE events (
    id          bigint           PRIMARY KEY,     -- unique, increasing with gaps, > 2^31
    user_id     integer,                          -- includes -2147483648 and 2147483647
    score       double precision,                 -- decimals, exponents (1e300, -2.5E-300), -0.0, integers
    amount      numeric(12, 2),                   -- always two decimals in the file, e.g. 2289.00
    name        text,                             -- accents, CJK, RTL, emoji (ZWJ, flags), quotes,
                                                  -- backslashes, \n \t \u0001, \u escapes, a few KB long ones
    active      boolean          DEFAULT true,
    created_at  timestamptz,                      -- ISO-8601: 'Z' or +hh:mm offsets, 0/1/3/6 fraction digits,
                                                  -- years 1900..2100
    birth_date  date,
    tags        text[],                           -- may be empty; elements may be "", "NULL", null, "a,b"
    scores      integer[],                        -- may be empty
    attrs       jsonb,                            -- nested objects and arrays, keys in varying order
    uuid        uuid,                             -- version 4
    ip          inet,                             -- IPv4, IPv6, some with a prefix length
    ingested_at timestamptz      NOT NULL DEFAULT now()
);
