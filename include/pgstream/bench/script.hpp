#pragma once
// pgbench scripts: parsing a script's text into commands (SQL and meta commands).
//
// As in pgbench 15: an SQL command may span lines and ends at a ';' outside quotes, comments
// and parentheses, at a backslash meta command, or at the end of the script; "\;" puts a ';'
// into the command (a compound query) and "\:" a literal ':'. ":name" outside quotes and
// comments refers to a variable ("::" casts are not references; unlike pgbench, references
// inside quoted strings are not replaced either, since a bind parameter could not go there).
// Meta commands run to the end of the line, continued by backslash-newline: \set, \sleep,
// \gset and \aset (after an SQL command, as its terminator), \if \elif \else \endif (nesting
// checked here), \startpipeline \endpipeline (pairs checked here, in the same \if branch;
// no \gset/\aset inside). \shell and \setshell are refused.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/bench/expression.hpp"
#include "pgstream/bench/variables.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

enum class CommandKind : std::uint8_t { sql, set, sleep, if_, elif, else_, endif, start_pipeline, end_pipeline };
enum class ResultCapture : std::uint8_t { none, gset, aset };

// A run of SqlCommand::text: literal text, or one variable reference (":name", colon included).
struct SqlPiece {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  bool is_variable = false;
  VarSlot slot = 0;
};

struct SqlCommand {
  std::string text;              // as written (with ":name"), "\;" turned into ';', trimmed
  std::string parameterized;     // each reference replaced by $1, $2, ... in order
  std::vector<VarSlot> params;   // the variable of $k is params[k - 1]
  std::vector<SqlPiece> pieces;  // text cut at references, for -M simple substitution
  std::uint32_t statements = 1;  // > 1 for a compound query ("\;")
  ResultCapture capture = ResultCapture::none;
  std::string capture_prefix;    // \gset/\aset prefix
};

struct SleepSpec {
  bool from_variable = false;
  VarSlot slot = 0;             // from_variable
  std::int64_t amount = 0;      // literal amount
  std::int64_t unit_us = 1000000;
};

struct Command {
  CommandKind kind = CommandKind::sql;
  std::uint32_t line = 0;  // 1-based, where the command starts
  SqlCommand sql;          // sql
  VarSlot target = 0;      // set
  Expression expr;         // set, if_, elif
  SleepSpec sleep;         // sleep
  // if_/elif: the index of the next elif, else_ or endif of the same \if; if_/elif/else_: the
  // index of its endif.
  std::uint32_t next_branch = 0;
  std::uint32_t endif = 0;
};

struct Script {
  std::string name;
  int weight = 1;
  std::vector<Command> commands;
  [[nodiscard]] std::size_t sql_count() const noexcept;
};

// Parses a script. Variables are interned into `vars` (shared by all scripts of a run). Errors
// (category config) read "script NAME line L column C: message".
[[nodiscard]] Result<Script> parse_script(std::string_view name, std::string_view text, VariableTable& vars);

// "-f FILE[@WEIGHT]" and "-b NAME[@WEIGHT]": splits at the last '@' when what follows is a
// weight, else the whole argument is the name. Weights are integers in [0, INT_MAX].
struct ScriptSpec {
  std::string name;
  int weight = 1;
};
[[nodiscard]] Result<ScriptSpec> parse_script_spec(std::string_view arg);

// Total weight of the scripts; an error when it is zero or overflows an int (as pgbench).
[[nodiscard]] Result<std::int64_t> total_weight(const std::vector<Script>& scripts);

}  // namespace pgstream::bench
