#pragma once
// Runs scripts for one client without doing any I/O: the runner asks for the next step (send
// this SQL with these parameters, sleep, pipeline boundaries, end of transaction), performs it,
// and hands back \gset/\aset results. Meta commands (\set, \if...) are evaluated inside.
// After construction, stepping does not allocate (buffers are reused; text variables keep their
// capacity).
//
// Typical loop:
//   ScriptCursor c(scripts, names, opts);
//   for each transaction: c.start(c.choose_script());
//     while ((step = c.next()) && step->kind != StepKind::end_of_script):
//       sql:   send step->sql (+ step->params); if step->capture != none, for each result row
//              call result_row(), at each result's end result_end(rows), then results_done()
//       sleep: wait step->sleep_us
//       start_pipeline / end_pipeline: enter pipeline mode / send Sync and wait for all.
//   An error from next() or results_done() aborts the client (pgbench stops it).

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/bench/prng.hpp"
#include "pgstream/bench/script.hpp"
#include "pgstream/bench/variables.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

enum class QueryMode : std::uint8_t { simple, extended, prepared };

[[nodiscard]] Result<QueryMode> parse_query_mode(std::string_view text);  // simple|extended|prepared
[[nodiscard]] constexpr std::string_view to_string(QueryMode m) noexcept {
  return m == QueryMode::simple ? "simple" : m == QueryMode::extended ? "extended" : "prepared";
}

// Checks what depends on the query mode before a run: pipelines need extended or prepared, and
// a compound query ("\;") cannot be prepared (the server refuses several commands in one).
[[nodiscard]] Result<void> check_scripts_for_mode(std::span<const Script> scripts, QueryMode mode);

// The name pgbench gives prepared statements ("P<script>_<command>"), for -M prepared.
[[nodiscard]] std::string prepared_statement_name(std::size_t script, std::size_t command);

enum class StepKind : std::uint8_t { sql, sleep, start_pipeline, end_pipeline, end_of_script };

struct Param {
  std::string_view text;  // text format; empty when null
  bool null = false;      // a variable holding NULL is sent as SQL NULL
};

// Views inside a Step are valid until the next call to next() or start().
struct Step {
  StepKind kind = StepKind::end_of_script;
  std::uint32_t command = 0;  // index into the current script's commands
  // sql, simple mode: the text with values substituted (unset variables left as ":name", as
  // pgbench); extended/prepared: SqlCommand::parameterized.
  std::string_view sql;
  std::span<const Param> params;  // extended/prepared
  ResultCapture capture = ResultCapture::none;
  std::int64_t sleep_us = 0;      // sleep
};

struct CursorOptions {
  QueryMode mode = QueryMode::simple;
  std::int64_t scale = 1;            // :scale unless -D defines it
  std::int64_t client_id = 0;        // :client_id
  std::uint64_t random_seed = 0;     // run seed: :random_seed, :default_seed and the PRNG
  std::FILE* debug_out = stderr;     // debug() output; nullptr for none
};

// One result column of a row, for \gset/\aset. A NULL is passed as "" (what pgbench stores).
struct ResultColumn {
  std::string_view name;
  std::string_view value;
};

class ScriptCursor {
 public:
  // `scripts` and `names` must outlive the cursor, and be complete: parse every script and apply
  // every -D before constructing cursors (the variable array is sized here). Check the total
  // weight (total_weight()) and the mode (check_scripts_for_mode()) first. Variables start as
  // pgbench's: -D values, then scale, client_id, random_seed and default_seed (the last
  // identical for every client of a run). The PRNG is seeded from (random_seed, client_id).
  ScriptCursor(std::span<const Script> scripts, const VariableTable& names, const CursorOptions& options);

  // A script index drawn by weight with this client's PRNG (total weight must be > 0).
  [[nodiscard]] std::size_t choose_script() noexcept;
  // Begins a transaction of script `index` at its first command.
  void start(std::size_t index) noexcept;
  // Runs meta commands up to the next step. Errors: "script NAME line L: message".
  [[nodiscard]] Result<Step> next();

  // \gset/\aset results of the SQL step just returned (only needed when its capture != none).
  // result_row: one row of the current result set (copied, so views may die after the call);
  // result_end: the current result set ended with `rows` rows (call it also for a command
  // without rows, with 0); results_done: the command completed; stores the variables, or fails
  // ("expected one row, got N" for \gset, or a column name that is not a valid variable name).
  void result_row(std::span<const ResultColumn> row);
  void result_end(std::uint64_t rows);
  [[nodiscard]] Result<void> results_done();

  [[nodiscard]] Variables& variables() noexcept { return vars_; }
  [[nodiscard]] Prng& prng() noexcept { return rng_; }
  [[nodiscard]] std::size_t current_script() const noexcept { return script_; }
  [[nodiscard]] bool in_pipeline() const noexcept { return in_pipeline_; }

 private:
  [[nodiscard]] Result<Step> make_sql_step(std::uint32_t index, const Command& cmd);
  [[nodiscard]] Error command_error(const Command& cmd, std::string_view message) const;
  [[nodiscard]] Result<void> commit_staged(const Command& cmd);

  std::span<const Script> scripts_;
  const VariableTable& names_;
  CursorOptions options_;
  Variables vars_;
  Prng rng_;
  std::int64_t total_weight_ = 0;
  std::size_t script_ = 0;
  std::uint32_t pc_ = 0;
  std::uint32_t sql_command_ = 0;  // last SQL step, for results
  bool in_pipeline_ = false;

  std::string simple_buf_;
  std::vector<Param> params_;

  // \gset/\aset staging: the last row of the current result, and of the last non-empty one.
  struct StagedColumn {
    std::string name;
    std::string value;
  };
  std::vector<StagedColumn> row_;
  std::size_t row_cols_ = 0;
  std::uint64_t last_rows_ = 0;
  bool saw_result_ = false;
  std::string name_buf_;
  Result<void> stage_error_;
};

}  // namespace pgstream::bench
