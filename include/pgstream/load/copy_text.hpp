#pragma once
// Text written for COPY's text format and for JSON reports: the escaping rules in one place.

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

namespace pgstream::load {

// COPY text format: backslash, newline, carriage return and tab escaped; nothing else changes.
void append_copy_escaped(std::string& out, std::string_view s);

// A JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

// A JSON array as a Postgres array literal: {1,2,"a b",NULL,{3,4}}. Objects become quoted JSON.
// Returns an error text for invalid JSON.
[[nodiscard]] std::optional<std::string> append_array_literal(std::string& out, simdjson::ondemand::value array);

}  // namespace pgstream::load
