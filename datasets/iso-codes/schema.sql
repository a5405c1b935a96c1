-- Tables for the iso-codes JSON-lines files of this folder. Column names equal the JSON keys, so a
-- row loads with jsonb_populate_record(null::<table>, line) or any loader that maps keys to columns.
-- Keys absent from a line must take the column default (NULL, or now() for countries.loaded_at).
-- No foreign key from subdivisions.country to countries: the files may be loaded in any order or
-- in parallel; every subdivisions.country does exist in countries.alpha_2.

CREATE TABLE countries (
    alpha_2       char(2)     PRIMARY KEY,
    alpha_3       char(3)     NOT NULL UNIQUE,
    "numeric"     smallint    NOT NULL UNIQUE,   -- ISO 3166-1 numeric, e.g. 4 for Afghanistan ("004")
    name          text        NOT NULL,
    official_name text,                          -- absent for about a third of the countries
    common_name   text,                          -- present for a handful only
    flag          text        NOT NULL,          -- emoji: two regional indicator symbols
    loaded_at     timestamptz NOT NULL DEFAULT now()  -- never in the file: exercises defaults
);

CREATE TABLE subdivisions (
    code    text    PRIMARY KEY,                 -- e.g. 'FR-75C'
    country char(2) NOT NULL,                    -- the part of code before the '-'
    name    text    NOT NULL,
    type    text    NOT NULL,                    -- e.g. 'Province', 'Metropolitan department'
    parent  text                                 -- code suffix of the parent subdivision, often absent
);

CREATE TABLE languages (
    alpha_3       char(3) PRIMARY KEY,           -- ISO 639-3
    alpha_2       char(2) UNIQUE,                -- ISO 639-1, when there is one
    bibliographic char(3),                       -- ISO 639-2/B, when it differs from alpha_3
    name          text    NOT NULL,
    inverted_name text,
    common_name   text,
    scope         char(1) NOT NULL,              -- I(ndividual), M(acrolanguage), S(pecial)
    type          char(1) NOT NULL               -- L(iving), E(xtinct), A(ncient), H(istorical), C(onstructed), S(pecial)
);
