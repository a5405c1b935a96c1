#include "pgstream/bench/script_cursor.hpp"

#include <algorithm>
#include <cmath>

namespace pgstream::bench {
namespace {

// pgbench's valueTruth, used by \if and \elif: NULL is false.
bool truth(const Value& v) {
  switch (v.type) {
    case ValueType::boolean: return v.b;
    case ValueType::integer: return v.i != 0;
    case ValueType::real: return v.d != 0.0;
    case ValueType::null: return false;
  }
  return false;
}

}  // namespace

Result<QueryMode> parse_query_mode(std::string_view text) {
  if (text == "simple") return QueryMode::simple;
  if (text == "extended") return QueryMode::extended;
  if (text == "prepared") return QueryMode::prepared;
  return make_error(ErrorCategory::config, "invalid query mode \"" + std::string(text) + "\" (simple, extended or prepared)");
}

Result<void> check_scripts_for_mode(std::span<const Script> scripts, QueryMode mode) {
  for (const Script& s : scripts) {
    for (const Command& c : s.commands) {
      const std::string where = "script " + s.name + " line " + std::to_string(c.line) + ": ";
      if (mode == QueryMode::simple && c.kind == CommandKind::start_pipeline) {
        return make_error(ErrorCategory::config, where + "cannot use pipeline mode with the simple query protocol (use -M extended or prepared)");
      }
      if (mode != QueryMode::simple && c.kind == CommandKind::sql && c.sql.statements > 1) {
        return make_error(ErrorCategory::config, where + "a compound query (\\;) needs -M simple (the server refuses several commands in one prepared statement)");
      }
    }
  }
  return {};
}

std::string prepared_statement_name(std::size_t script, std::size_t command) {
  return "P" + std::to_string(script) + "_" + std::to_string(command);
}

ScriptCursor::ScriptCursor(std::span<const Script> scripts, const VariableTable& names, const CursorOptions& options)
    : scripts_(scripts), names_(names), options_(options), vars_(names.size()) {
  for (const auto& [slot, text] : names.defines()) vars_.set_text(slot, text);
  if (!vars_.is_set(VariableTable::scale)) vars_.set(VariableTable::scale, Value::integer(options.scale));
  vars_.set(VariableTable::client_id, Value::integer(options.client_id));
  // default_seed is the same for every client of a run (hash() and permute() then agree across
  // clients); the PRNG differs per client.
  std::uint64_t sm = options.random_seed;
  const std::uint64_t default_seed = splitmix64(sm);
  if (!vars_.is_set(VariableTable::random_seed)) {
    vars_.set(VariableTable::random_seed, Value::integer(static_cast<std::int64_t>(options.random_seed)));
  }
  if (!vars_.is_set(VariableTable::default_seed)) {
    vars_.set(VariableTable::default_seed, Value::integer(static_cast<std::int64_t>(default_seed)));
  }
  std::uint64_t client_sm = options.random_seed ^ (0xd1b54a32d192ed03ULL * static_cast<std::uint64_t>(options.client_id + 1));
  rng_.reseed(splitmix64(client_sm));

  std::size_t max_params = 0, max_text = 0;
  for (const Script& s : scripts_) {
    total_weight_ += s.weight;
    for (const Command& c : s.commands) {
      max_params = std::max(max_params, c.sql.params.size());
      max_text = std::max(max_text, c.sql.text.size());
    }
  }
  params_.reserve(max_params);
  simple_buf_.reserve(max_text + 64);
}

std::size_t ScriptCursor::choose_script() noexcept {
  if (scripts_.size() <= 1 || total_weight_ <= 0) return 0;
  std::int64_t w = rng_.uniform(0, total_weight_ - 1);
  std::size_t k = 0;
  for (; k + 1 < scripts_.size(); ++k) {
    w -= scripts_[k].weight;
    if (w < 0) break;
  }
  return k;
}

void ScriptCursor::start(std::size_t index) noexcept {
  script_ = index < scripts_.size() ? index : 0;
  pc_ = 0;
  in_pipeline_ = false;
}

Error ScriptCursor::command_error(const Command& cmd, std::string_view message) const {
  return Error(ErrorCategory::config, "script " + scripts_[script_].name + " line " + std::to_string(cmd.line) + ": " +
                                          std::string(message));
}

Result<Step> ScriptCursor::next() {
  if (scripts_.empty()) return Step{};
  const Script& s = scripts_[script_];
  EvalContext ctx{vars_, names_, rng_, options_.debug_out};
  while (pc_ < s.commands.size()) {
    const std::uint32_t index = pc_;
    const Command& c = s.commands[index];
    switch (c.kind) {
      case CommandKind::sql:
        ++pc_;
        return make_sql_step(index, c);
      case CommandKind::set: {
        auto v = evaluate(c.expr, ctx);
        if (!v) return std::unexpected(command_error(c, v.error().message()));
        vars_.set(c.target, *v);
        ++pc_;
        break;
      }
      case CommandKind::sleep: {
        std::int64_t amount = c.sleep.amount;
        if (c.sleep.from_variable) {
          auto v = vars_.value(c.sleep.slot, names_.name(c.sleep.slot));
          if (!v) return std::unexpected(command_error(c, "\\sleep: " + v.error().message()));
          if (v->type == ValueType::integer) {
            amount = v->i;
          } else if (v->type == ValueType::real && std::isfinite(v->d) && std::fabs(v->d) < 9.2e18) {
            amount = static_cast<std::int64_t>(v->d);
          } else {
            return std::unexpected(command_error(c, "\\sleep: invalid sleep time in variable \"" +
                                                        std::string(names_.name(c.sleep.slot)) + "\""));
          }
        }
        Step st;
        st.kind = StepKind::sleep;
        st.command = index;
        if (amount > 0 && __builtin_mul_overflow(amount, c.sleep.unit_us, &st.sleep_us)) {
          return std::unexpected(command_error(c, "\\sleep: sleep time is too large"));
        }
        if (amount <= 0) st.sleep_us = 0;
        ++pc_;
        return st;
      }
      case CommandKind::if_: {
        auto v = evaluate(c.expr, ctx);
        if (!v) return std::unexpected(command_error(c, v.error().message()));
        if (truth(*v)) {
          ++pc_;
          break;
        }
        // Try the following branches in order.
        std::uint32_t t = c.next_branch;
        for (;;) {
          const Command& b = s.commands[t];
          if (b.kind != CommandKind::elif) break;
          auto bv = evaluate(b.expr, ctx);
          if (!bv) return std::unexpected(command_error(b, bv.error().message()));
          if (truth(*bv)) break;
          t = b.next_branch;
        }
        pc_ = t + 1;
        break;
      }
      case CommandKind::elif:
      case CommandKind::else_:
        // Reached by running the branch above it to its end.
        pc_ = c.endif + 1;
        break;
      case CommandKind::endif:
        ++pc_;
        break;
      case CommandKind::start_pipeline:
      case CommandKind::end_pipeline: {
        in_pipeline_ = c.kind == CommandKind::start_pipeline;
        ++pc_;
        Step st;
        st.kind = in_pipeline_ ? StepKind::start_pipeline : StepKind::end_pipeline;
        st.command = index;
        return st;
      }
    }
  }
  Step end;
  end.kind = StepKind::end_of_script;
  end.command = pc_;
  return end;
}

Result<Step> ScriptCursor::make_sql_step(std::uint32_t index, const Command& cmd) {
  const SqlCommand& q = cmd.sql;
  sql_command_ = index;
  row_cols_ = 0;
  last_rows_ = 0;
  saw_result_ = false;
  stage_error_ = {};
  Step st;
  st.kind = StepKind::sql;
  st.command = index;
  st.capture = q.capture;
  if (options_.mode == QueryMode::simple) {
    simple_buf_.clear();
    const std::string_view text = q.text;
    for (const SqlPiece& p : q.pieces) {
      const std::string_view original = text.substr(p.offset, p.length);
      if (!p.is_variable) {
        simple_buf_.append(original);
        continue;
      }
      // Unset variables stay as written, as pgbench leaves them.
      const auto value = vars_.text(p.slot);
      simple_buf_.append(value ? *value : original);
    }
    st.sql = simple_buf_;
    return st;
  }
  params_.clear();
  for (const VarSlot slot : q.params) {
    if (vars_.holds_null(slot)) {
      params_.push_back(Param{{}, true});
      continue;
    }
    const auto value = vars_.text(slot);
    if (!value) return std::unexpected(command_error(cmd, "undefined variable \"" + std::string(names_.name(slot)) + "\""));
    params_.push_back(Param{*value, false});
  }
  st.sql = q.parameterized;
  st.params = params_;
  return st;
}

void ScriptCursor::result_row(std::span<const ResultColumn> row) {
  if (scripts_.empty()) return;
  const Command& cmd = scripts_[script_].commands[sql_command_];
  if (cmd.kind != CommandKind::sql || cmd.sql.capture == ResultCapture::none) return;
  if (row_.size() < row.size()) row_.resize(row.size());
  for (std::size_t k = 0; k < row.size(); ++k) {
    row_[k].name.assign(row[k].name);
    row_[k].value.assign(row[k].value);
  }
  row_cols_ = row.size();
}

void ScriptCursor::result_end(std::uint64_t rows) {
  if (scripts_.empty()) return;
  const Command& cmd = scripts_[script_].commands[sql_command_];
  if (cmd.kind != CommandKind::sql || cmd.sql.capture == ResultCapture::none) return;
  saw_result_ = true;
  last_rows_ = rows;
  if (cmd.sql.capture == ResultCapture::aset && rows > 0 && stage_error_) {
    stage_error_ = commit_staged(cmd);
  }
  if (rows == 0) row_cols_ = 0;
}

Result<void> ScriptCursor::results_done() {
  if (scripts_.empty()) return {};
  const Command& cmd = scripts_[script_].commands[sql_command_];
  if (cmd.kind != CommandKind::sql || cmd.sql.capture == ResultCapture::none) return {};
  if (!stage_error_) return std::unexpected(stage_error_.error());
  if (cmd.sql.capture == ResultCapture::gset) {
    const std::uint64_t rows = saw_result_ ? last_rows_ : 0;
    if (rows != 1) return std::unexpected(command_error(cmd, "\\gset: expected one row, got " + std::to_string(rows)));
    return commit_staged(cmd);
  }
  return {};
}

Result<void> ScriptCursor::commit_staged(const Command& cmd) {
  for (std::size_t k = 0; k < row_cols_; ++k) {
    name_buf_.assign(cmd.sql.capture_prefix);
    name_buf_.append(row_[k].name);
    if (!valid_variable_name(name_buf_)) {
      return std::unexpected(command_error(cmd, "cannot store column " + quote_for_message(row_[k].name) +
                                                    " into variable " + quote_for_message(name_buf_) +
                                                    ": invalid variable name"));
    }
    // A name no script refers to is never read: nothing to store.
    if (const auto slot = names_.find(name_buf_)) vars_.set_text(*slot, row_[k].value);
  }
  return {};
}

}  // namespace pgstream::bench
