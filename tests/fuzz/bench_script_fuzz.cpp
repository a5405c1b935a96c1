// pgbench scripts: parse_script, then a client stepping through the script with a ScriptCursor
// (every \set, \if and random function evaluated, fake \gset rows fed back).
//
// Input layout: one option byte (bits 0-1: query mode; bit 2: also parse every builtin first
// into the same variable table), the script text after it.
//
// Invariants besides "no crash":
// - every error is one line a user can read (check_error);
// - an SQL command's pieces cover its text exactly, in order, and its variable pieces are the
//   parameters, so -M simple and -M extended send the same statement;
// - \if/\elif/\else links point forward, inside the script, to a command of the right kind;
// - an extended/prepared SQL step carries exactly one parameter per reference.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "pgstream/bench/builtin_scripts.hpp"
#include "pgstream/bench/script.hpp"
#include "pgstream/bench/script_cursor.hpp"

namespace {

namespace pf = pgstream::fuzz;
namespace pb = pgstream::bench;

void check_sql(const pb::SqlCommand& q) {
  std::size_t at = 0, vars = 0;
  for (const pb::SqlPiece& p : q.pieces) {
    PGSTREAM_FUZZ_CHECK(p.offset == at);
    PGSTREAM_FUZZ_CHECK(p.length > 0);
    PGSTREAM_FUZZ_CHECK(p.offset + p.length <= q.text.size());
    if (p.is_variable) {
      PGSTREAM_FUZZ_CHECK(q.text[p.offset] == ':');
      PGSTREAM_FUZZ_CHECK(vars < q.params.size() && q.params[vars] == p.slot);
      ++vars;
    }
    at += p.length;
  }
  PGSTREAM_FUZZ_CHECK(at == q.text.size());
  PGSTREAM_FUZZ_CHECK(vars == q.params.size());
  pf::touch(q.parameterized);
}

void check_links(const pb::Script& s) {
  const std::size_t n = s.commands.size();
  for (std::size_t k = 0; k < n; ++k) {
    const pb::Command& c = s.commands[k];
    if (c.kind == pb::CommandKind::sql) check_sql(c.sql);
    if (c.kind == pb::CommandKind::if_ || c.kind == pb::CommandKind::elif || c.kind == pb::CommandKind::else_) {
      PGSTREAM_FUZZ_CHECK(c.endif > k && c.endif < n);
      PGSTREAM_FUZZ_CHECK(s.commands[c.endif].kind == pb::CommandKind::endif);
      PGSTREAM_FUZZ_CHECK(c.next_branch > k && c.next_branch <= c.endif);
      const pb::CommandKind next = s.commands[c.next_branch].kind;
      PGSTREAM_FUZZ_CHECK(next == pb::CommandKind::elif || next == pb::CommandKind::else_ || next == pb::CommandKind::endif);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pf::Input in(data, size);
  const std::uint8_t options = in.u8();
  const auto mode = static_cast<pb::QueryMode>(options % 3);
  const std::string_view text = in.rest_text();

  pb::VariableTable names;
  if (options & 4) {
    for (const pb::BuiltinScript& b : pb::builtin_scripts()) {
      auto s = pb::parse_builtin(b.name, names);
      PGSTREAM_FUZZ_CHECK(s.has_value());
    }
  }
  auto parsed = pb::parse_script("fuzz.sql", text, names);
  if (!parsed) {
    pf::check_error(parsed.error());
    return 0;
  }
  check_links(*parsed);
  const pb::Script scripts[] = {std::move(*parsed)};
  if (auto ok = pb::check_scripts_for_mode(scripts, mode); !ok) {
    pf::check_error(ok.error());
    return 0;
  }

  pb::CursorOptions opts;
  opts.mode = mode;
  opts.scale = 3;
  opts.client_id = 1;
  opts.random_seed = size;
  opts.debug_out = nullptr;
  pb::ScriptCursor cursor(scripts, names, opts);
  for (int txn = 0; txn < 2; ++txn) {
    cursor.start(cursor.choose_script());
    for (int steps = 0; steps < 10000; ++steps) {
      auto st = cursor.next();
      if (!st) {
        pf::check_error(st.error());
        return 0;
      }
      if (st->kind == pb::StepKind::end_of_script) break;
      if (st->kind != pb::StepKind::sql) continue;
      pf::touch(st->sql);
      const pb::SqlCommand& q = scripts[0].commands[st->command].sql;
      if (mode != pb::QueryMode::simple) {
        PGSTREAM_FUZZ_CHECK(st->params.size() == q.params.size());
        for (const pb::Param& p : st->params) pf::touch(p.text);
      }
      if (st->capture != pb::ResultCapture::none) {
        // Columns named like the variables the script reads, so stored text is read back.
        const pb::ResultColumn row[] = {{"x", "1"}, {"y", "2.5"}, {"z", "true"}, {"t", "text"}};
        cursor.result_row(row);
        cursor.result_end(1);
        if (auto done = cursor.results_done(); !done) {
          pf::check_error(done.error());
          return 0;
        }
      }
    }
  }
  return 0;
}
