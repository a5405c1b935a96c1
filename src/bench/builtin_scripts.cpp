// The built-in scripts. tpcb-like, simple-update and select-only are pgbench 15's text (the
// accounts, tellers and branches per scale unit are pgbench's 100000, 10 and 1), so a run
// compares with pgbench's. `insert` is ours: the same draws and only the history INSERT, an
// append-only write load without row-lock contention.

#include "pgstream/bench/builtin_scripts.hpp"

#include <array>
#include <string>

namespace pgstream::bench {
namespace {

constexpr std::array<BuiltinScript, 4> scripts{{
    {"tpcb-like", "<builtin: TPC-B (sort of)>",
     "\\set aid random(1, 100000 * :scale)\n"
     "\\set bid random(1, 1 * :scale)\n"
     "\\set tid random(1, 10 * :scale)\n"
     "\\set delta random(-5000, 5000)\n"
     "BEGIN;\n"
     "UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;\n"
     "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"
     "UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;\n"
     "UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;\n"
     "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);\n"
     "END;\n"},
    {"simple-update", "<builtin: simple update>",
     "\\set aid random(1, 100000 * :scale)\n"
     "\\set bid random(1, 1 * :scale)\n"
     "\\set tid random(1, 10 * :scale)\n"
     "\\set delta random(-5000, 5000)\n"
     "BEGIN;\n"
     "UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;\n"
     "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"
     "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);\n"
     "END;\n"},
    {"select-only", "<builtin: select only>",
     "\\set aid random(1, 100000 * :scale)\n"
     "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"},
    {"insert", "<builtin: insert>",
     "\\set aid random(1, 100000 * :scale)\n"
     "\\set bid random(1, 1 * :scale)\n"
     "\\set tid random(1, 10 * :scale)\n"
     "\\set delta random(-5000, 5000)\n"
     "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);\n"},
}};

}  // namespace

std::span<const BuiltinScript> builtin_scripts() noexcept { return scripts; }

Result<const BuiltinScript*> find_builtin(std::string_view name) {
  const BuiltinScript* found = nullptr;
  int matches = 0;
  for (const auto& s : scripts) {
    if (s.name == name) return &s;
    if (!name.empty() && s.name.starts_with(name)) {
      found = &s;
      ++matches;
    }
  }
  if (matches == 1) return found;
  std::string known;
  for (const auto& s : scripts) known += (known.empty() ? "" : ", ") + std::string(s.name);
  if (matches > 1) {
    return make_error(ErrorCategory::config, "ambiguous builtin name \"" + std::string(name) + "\": " +
                                                 std::to_string(matches) + " builtin scripts match (" + known + ")");
  }
  return make_error(ErrorCategory::config, "no builtin script named \"" + std::string(name) + "\" (available: " + known + ")");
}

Result<Script> parse_builtin(std::string_view name, VariableTable& vars) {
  auto b = find_builtin(name);
  if (!b) return std::unexpected(std::move(b.error()));
  return parse_script((*b)->description, (*b)->text, vars);
}

}  // namespace pgstream::bench
