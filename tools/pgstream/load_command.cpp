// `pgstream load`: JSON lines into a table. Exit status: 0 every line loaded, 3 finished with
// rejected lines, 1 stopped by an error (connection, auth, max-errors), 2 usage error, 130
// interrupted (SIGINT/SIGTERM: the batches in flight committed; --resume goes on).
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "commands.hpp"
#include "connect_options.hpp"
#include "interrupt.hpp"
#include "pgstream/load/conflict_key.hpp"
#include "pgstream/load/copy_text.hpp"
#include "pgstream/load/loader.hpp"

namespace pgstream::cli {
namespace {

std::string human_bytes(std::uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

double per_second(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }

void print_resume_lines(const load::LoadReport& r) {
  if (!r.load_id.empty())
    std::printf("%s\n", fmt::format("  load id: {}{}", r.load_id, r.resumed ? fmt::format(" (resumed: {} lines done by earlier runs skipped, "
                                                                                        "{} rows and {} rejected lines committed before)",
                                                                                        r.lines_skipped, r.resumed_rows, r.resumed_rejected)
                                                                            : std::string())
                            .c_str());
  if (r.reconnects || r.batches_resent || r.ambiguous_committed || r.ambiguous_rolled_back)
    std::printf("%s\n", fmt::format("  connections reopened: {}, batches resent: {}, lost COMMIT answers resolved: {} committed, {} "
                                    "rolled back and resent",
                                    r.reconnects, r.batches_resent, r.ambiguous_committed, r.ambiguous_rolled_back)
                            .c_str());
  if (!r.state_note.empty()) std::printf("  note: %s\n", r.state_note.c_str());
}

void print_text_report(const load::LoadReport& r) {
  if (r.already_finished) {
    std::printf("load %s finished already (at %s): nothing to do, no line loaded\n", r.load_id.c_str(),
                r.finished_at.c_str());
    return;
  }
  const double mib = static_cast<double>(r.bytes_read) / (1024.0 * 1024.0);
  std::printf("%s\n", fmt::format("loaded {} rows into {} from {} file(s): {} lines, {}, in {:.2f} s ({:.0f} rows/s, {:.1f} MiB/s)",
                                  r.rows_loaded, r.table, r.files, r.lines_read, human_bytes(r.bytes_read), r.seconds,
                                  per_second(static_cast<double>(r.rows_loaded), r.seconds), per_second(mib, r.seconds))
                          .c_str());
  const std::string how = r.mode == "copy" || r.mode.empty() ? r.copy_format + " COPY" : r.mode;
  std::printf("%s\n", fmt::format("  batches: {} ({} over {} connection(s)), retried: {}   rejected: {}   blank lines: {}",
                                  r.batches, how, r.connections, r.retries, r.rows_rejected, r.blank_lines)
                          .c_str());
  if (r.mode != "copy" && !r.mode.empty()) {
    std::string rows = fmt::format("  rows: {} inserted, {} updated, {} skipped (their key existed), {} superseded (a later "
                                   "line of the same key in its batch)",
                                   r.rows_inserted, r.rows_updated, r.rows_skipped, r.rows_superseded);
    if (r.rows_uncounted) rows += fmt::format(", {} loaded by batches whose COMMIT answer was lost (not split up)", r.rows_uncounted);
    std::printf("%s\n", rows.c_str());
  }
  if (!r.rejects_path.empty()) std::printf("  rejected lines and reasons: %s\n", r.rejects_path.c_str());
  if (!r.ignored_keys.empty()) {
    std::string keys;
    std::size_t shown = 0;
    for (const auto& [k, n] : r.ignored_keys) {
      if (++shown > 20) {
        keys += fmt::format(", ... {} more", r.ignored_keys.size() - 20);
        break;
      }
      keys += fmt::format("{}{} ({})", keys.empty() ? "" : ", ", k, n);
    }
    std::printf("  keys with no column (ignored, %llu in all): %s\n",
                static_cast<unsigned long long>(r.ignored_key_count), keys.c_str());
  }
  // Where the time went: the loading thread's share, and what the connections were doing.
  const double conn_seconds = r.seconds * static_cast<double>(std::max<std::size_t>(r.connections, 1));
  auto pct = [](double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; };
  std::printf("%s\n", fmt::format("  time: reading {:.0f}%, parsing+encoding {:.0f}%, waiting on connections {:.0f}%;"
                                  " connections: streaming {:.0f}%, waiting for the server {:.0f}%, idle {:.0f}%",
                                  pct(r.reading_seconds, r.seconds), pct(r.encoding_seconds, r.seconds),
                                  pct(r.waiting_seconds, r.seconds), pct(r.streaming_seconds, conn_seconds),
                                  pct(r.server_seconds, conn_seconds),
                                  std::max(0.0, 100.0 - pct(r.streaming_seconds + r.server_seconds, conn_seconds)))
                          .c_str());
  print_resume_lines(r);
  if (r.stopped) std::printf("  STOPPED: %s\n", r.stop_reason.c_str());
  if (r.interrupted) std::printf("  INTERRUPTED: %s\n", r.stop_reason.c_str());
}

void print_json_report(const load::LoadReport& r) {
  std::string out = "{\"table\":";
  load::append_json_string(out, r.table);
  out += fmt::format(",\"files\":{},\"lines_read\":{},\"blank_lines\":{},\"rows_loaded\":{},\"rows_rejected\":{},"
                     "\"batches\":{},\"retries\":{},\"bytes_read\":{},\"seconds\":{:.6f},\"rows_per_second\":{:.1f},"
                     "\"mib_per_second\":{:.3f},\"stopped\":{},\"connections\":{},\"copy_format\":\"{}\","
                     "\"ignored_key_count\":{}",
                     r.files, r.lines_read, r.blank_lines, r.rows_loaded, r.rows_rejected, r.batches, r.retries,
                     r.bytes_read, r.seconds, per_second(static_cast<double>(r.rows_loaded), r.seconds),
                     per_second(static_cast<double>(r.bytes_read) / (1024.0 * 1024.0), r.seconds),
                     r.stopped ? "true" : "false", r.connections, r.copy_format, r.ignored_key_count);
  out += fmt::format(",\"time\":{{\"reading\":{:.6f},\"parsing_encoding\":{:.6f},\"waiting\":{:.6f},"
                     "\"connections_streaming\":{:.6f},\"connections_waiting_server\":{:.6f}}}",
                     r.reading_seconds, r.encoding_seconds, r.waiting_seconds, r.streaming_seconds, r.server_seconds);
  out += fmt::format(",\"interrupted\":{},\"aborted\":{},\"resumed\":{},\"already_finished\":{},\"lines_skipped\":{},"
                     "\"resumed_rows\":{},\"resumed_rejected\":{},\"reconnects\":{},\"batches_resent\":{},"
                     "\"ambiguous_committed\":{},\"ambiguous_rolled_back\":{}",
                     r.interrupted, r.aborted, r.resumed, r.already_finished, r.lines_skipped, r.resumed_rows,
                     r.resumed_rejected, r.reconnects, r.batches_resent, r.ambiguous_committed, r.ambiguous_rolled_back);
  out += ",\"mode\":";
  load::append_json_string(out, r.mode);
  out += fmt::format(",\"rows_inserted\":{},\"rows_updated\":{},\"rows_skipped\":{},\"rows_superseded\":{},"
                     "\"rows_uncounted\":{}",
                     r.rows_inserted, r.rows_updated, r.rows_skipped, r.rows_superseded, r.rows_uncounted);
  out += ",\"load_id\":";
  if (r.load_id.empty()) out += "null";
  else load::append_json_string(out, r.load_id);
  out += ",\"state_note\":";
  load::append_json_string(out, r.state_note);
  out += ",\"stop_reason\":";
  load::append_json_string(out, r.stop_reason);
  out += ",\"rejects_file\":";
  if (r.rejects_path.empty()) out += "null";
  else load::append_json_string(out, r.rejects_path);
  out += ",\"ignored_keys\":{";
  bool first = true;
  for (const auto& [k, n] : r.ignored_keys) {
    if (!first) out += ',';
    first = false;
    load::append_json_string(out, k);
    out += fmt::format(":{}", n);
  }
  out += "}}\n";
  std::fputs(out.c_str(), stdout);
}

// One progress line, redrawn in place: rows/s and MB/s so far, and percent and ETA when the
// input's size is known.
void print_progress(const load::LoadReport& r, double elapsed) {
  std::string line = fmt::format("{} rows loaded, {} rejected, {} read, {:.0f} rows/s, {:.1f} MiB/s",
                                 r.rows_loaded, r.rows_rejected, human_bytes(r.bytes_read),
                                 per_second(static_cast<double>(r.rows_loaded), elapsed),
                                 per_second(static_cast<double>(r.bytes_read) / (1024.0 * 1024.0), elapsed));
  if (r.input_size > 0 && r.input_position > 0) {
    const double done = std::min(1.0, static_cast<double>(r.input_position) / static_cast<double>(r.input_size));
    const double eta = done > 0 ? elapsed * (1 - done) / done : 0;
    line += fmt::format(", {:.0f}%, ETA {:.0f} s", 100 * done, eta);
  }
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
}

}  // namespace

void add_load_command(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("load", "bulk-import JSON lines into a table (binary-safe COPY batches)");
  struct Flags {
    ConnectFlags conn;
    load::LoadOptions options;
    std::int64_t max_errors = -1;
    bool json = false;
    std::optional<bool> progress;
    std::string synchronous_commit;
    std::int64_t retry_max_backoff_ms = 5000;
    std::string mode;
    std::string on_conflict;
    std::string conflict_key;
    std::string insert_form = "auto";
  };
  auto flags = std::make_shared<Flags>();
  flags->conn.add_to(*cmd);
  cmd->add_option("FILE", flags->options.files, "JSON-lines files ('-' is stdin; gzip and zstd input, by its first bytes, is decompressed)")
      ->required();
  cmd->add_option("-t,--table", flags->options.table, "target table (schema-qualified allowed, quoted identifiers respected)")
      ->required();
  cmd->add_option("-c,--connections", flags->options.connections, "parallel connections (COPY streams)")
      ->default_val(flags->options.connections)
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--parse-threads", flags->options.parse_threads,
                  "threads that parse and encode lines (0: the loading thread does it)")
      ->default_val(flags->options.parse_threads)
      ->check(CLI::Range(0, 64));
  cmd->add_option("--batch-rows", flags->options.batch_rows, "rows per COPY transaction")
      ->default_val(flags->options.batch_rows)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--map", flags->options.maps, "COL=/json/pointer: take a column from a nested path (RFC 6901); repeatable");
  cmd->add_option("--jsonb-column", flags->options.jsonb_column, "also store the whole line in this json/jsonb column");
  cmd->add_option("--rest-column", flags->options.rest_column,
                  "keep the keys that have no column in this json/jsonb column (as one object)");
  cmd->add_option("--rejects", flags->options.rejects_path, "where rejected lines go (default: <table>.rejects.jsonl)");
  cmd->add_option("--max-errors", flags->max_errors, "stop after N rejected lines (0: the first error stops)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--truncate", flags->options.truncate, "empty the table first, in the same transaction as the first batch");
  cmd->add_flag("--json", flags->json, "final report as JSON on stdout");
  cmd->add_flag("--progress,!--no-progress", flags->progress, "progress on stderr (default: when stderr is a terminal)");
  cmd->add_flag("--text-copy", flags->options.force_text, "use COPY text format even where binary is possible");
  cmd->add_option("--mode", flags->mode,
                  "copy: binary COPY batches (default, fastest); insert: pipelined Parse/Bind/Execute/Sync of INSERT "
                  "batches (what --on-conflict needs)")
      ->check(CLI::IsMember({"copy", "insert"}));
  auto* on_conflict =
      cmd->add_option("--on-conflict", flags->on_conflict,
                      "do-nothing: keep the rows already there; update: the line's values replace them (last line of a "
                      "key wins). Implies --mode insert")
          ->check(CLI::IsMember({"do-nothing", "update"}));
  cmd->add_option("--conflict-key", flags->conflict_key,
                  "COLS: the unique key of --on-conflict, comma-separated (default: the primary key)")
      ->needs(on_conflict);
  cmd->add_option("--insert-form", flags->insert_form,
                  "--mode insert: unnest (one Bind of arrays per chunk), values (one Bind per row) or auto (unnest "
                  "unless a column is an array)")
      ->check(CLI::IsMember({"auto", "unnest", "values"}));
  cmd->add_flag("--resume", flags->options.resume,
                "skip what an earlier run of the same load already committed (loaded or rejected lines)");
  cmd->add_option("--load-id", flags->options.load_id,
                  "names the load for --resume (default: from the table and the input files' names, sizes and times)");
  cmd->add_option("--state-schema", flags->options.state_schema,
                  "schema of the progress tables (loads, load_progress), created on first use")
      ->default_val(flags->options.state_schema);
  cmd->add_option("--retries", flags->options.retries, "reconnect attempts in a row after a lost connection")
      ->default_val(flags->options.retries)
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--retry-max-backoff", flags->retry_max_backoff_ms, "longest wait between reconnect attempts (ms)")
      ->default_val(flags->retry_max_backoff_ms)
      ->check(CLI::Range(1, 3'600'000));
  cmd->add_option("--synchronous-commit", flags->synchronous_commit,
                  "'off': SET synchronous_commit = off per session (faster; a server crash may lose the last "
                  "commits, which --resume then loads again)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->callback([flags, &run] {
    if (flags->mode == "copy" && !flags->on_conflict.empty())
      throw CLI::ValidationError("--on-conflict", "needs --mode insert (COPY cannot resolve conflicts)");
    load::LoadOptions& o = flags->options;
    o.insert = flags->mode == "insert" || !flags->on_conflict.empty();
    o.on_conflict = flags->on_conflict == "update"       ? load::InsertMode::update
                    : flags->on_conflict == "do-nothing" ? load::InsertMode::do_nothing
                                                         : load::InsertMode::insert;
    o.insert_shape = flags->insert_form == "unnest"   ? load::InsertShape::unnest
                     : flags->insert_form == "values" ? load::InsertShape::values
                                                      : load::InsertShape::automatic;
    if (!o.insert && flags->insert_form != "auto")
      throw CLI::ValidationError("--insert-form", "needs --mode insert");
    if (!flags->conflict_key.empty()) {
      auto cols = load::split_column_list(flags->conflict_key);
      if (!cols) throw CLI::ValidationError("--conflict-key", cols.error().message());
      o.conflict_key = std::move(*cols);
    }
    run = [flags]() -> int {
      if (flags->max_errors >= 0) flags->options.max_errors = static_cast<std::uint64_t>(flags->max_errors);
      flags->options.synchronous_commit_off = flags->synchronous_commit == "off";
      flags->options.retry_max_backoff = std::chrono::milliseconds(flags->retry_max_backoff_ms);
      flags->options.retry_initial_backoff =
          std::min(flags->options.retry_initial_backoff, flags->options.retry_max_backoff);
      flags->options.state_required = flags->options.resume || !flags->options.load_id.empty() ||
                                      flags->options.state_schema != "pgstream";
      // The loader stops reading at the first signal and aborts the batches in flight at the second.
      install_interrupt_handlers(SecondInterrupt::job_aborts);
      flags->options.interrupts = &interrupt_count();
      auto builder = flags->conn.builder();
      if (builder.info().application_name.value_or("").empty()) builder.application_name("pgstream load");
      if (flags->progress.value_or(::isatty(2) != 0)) {
        const auto start = std::chrono::steady_clock::now();
        flags->options.progress = [start](const load::LoadReport& r) {
          print_progress(r, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        };
      }
      auto report = load::run_load(builder, flags->options);
      if (flags->options.progress) std::fputs("\n", stderr);
      if (!report) throw std::runtime_error("load: " + report.error().to_string());
      if (flags->json) print_json_report(*report);
      else print_text_report(*report);
      if (report->interrupted || report->aborted) return 130;
      if (report->stopped) return 1;
      return report->rows_rejected + report->resumed_rejected > 0 && !report->already_finished ? 3 : 0;
    };
  });
}

}  // namespace pgstream::cli
