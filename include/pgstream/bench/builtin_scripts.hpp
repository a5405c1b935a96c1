#pragma once
// pgbench's built-in scripts, with the exact text of pgbench 15 (so results compare), plus
// `insert`, our own: the tpcb-like draws and only its INSERT into pgbench_history.

#include <span>
#include <string_view>

#include "pgstream/bench/script.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

struct BuiltinScript {
  std::string_view name;         // tpcb-like, simple-update, select-only, insert
  std::string_view description;  // pgbench's, e.g. "<builtin: TPC-B (sort of)>"
  std::string_view text;
};

[[nodiscard]] std::span<const BuiltinScript> builtin_scripts() noexcept;

// By name or unambiguous prefix, as pgbench -b ("-b simple" is simple-update).
[[nodiscard]] Result<const BuiltinScript*> find_builtin(std::string_view name_or_prefix);

// Parses a built-in ("-b NAME[@W]" after parse_script_spec); the script is named by its
// description, as pgbench reports it.
[[nodiscard]] Result<Script> parse_builtin(std::string_view name_or_prefix, VariableTable& vars);

}  // namespace pgstream::bench
