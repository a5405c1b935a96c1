// `pgstream bench`: pgbench-compatible load tests on the reactor, with honest latency.
//   pgstream bench init [-s SCALE]           the pgbench tables, filled with binary COPY
//   pgstream bench [OPTIONS]                 run; exit 0, 3 when transactions failed, 1 on an
//                                            error, 2 on a usage error, 130 when interrupted
//   pgstream bench merge A.json B.json ...   exact merge of runs' histograms
#include <fmt/format.h>
#include <simdjson.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "bench_report.hpp"
#include "commands.hpp"
#include "connect_options.hpp"
#include "interrupt.hpp"
#include "pgstream/bench/builtin_scripts.hpp"
#include "pgstream/bench/hgrm.hpp"
#include "pgstream/bench/histogram_json.hpp"
#include "pgstream/bench/init.hpp"
#include "pgstream/bench/runner.hpp"
#include "pgstream/bench/script.hpp"

namespace pgstream::cli {
namespace {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

struct BenchFlags {
  ConnectFlags conn;
  std::vector<std::string> builtins;
  std::vector<std::string> files;
  std::vector<std::string> defines;
  std::string protocol = "prepared";
  unsigned clients = 1, threads = 1, pipeline = 1;
  std::optional<double> time;
  std::optional<std::uint64_t> transactions;
  std::optional<double> rate;
  std::optional<double> latency_limit;
  double progress = 0;
  bool per_statement = false;
  std::string json, hist, plot;
  double warmup = 0;
  unsigned max_tries = 1;
  bool exit_on_error = false;
  std::optional<std::int64_t> scale;
  std::optional<std::uint64_t> seed;
  std::string start_at;
};

struct InitFlags {
  ConnectFlags conn;
  std::int64_t scale = 1;
  int fillfactor = 100;
  bool unlogged = false, foreign_keys = false, quiet = false;
};

// The scale of the pgbench tables, as pgbench reads it for built-in scripts.
std::int64_t detect_scale(const ConnectFlags& conn) {
  auto c = connect_or_throw(conn);
  auto r = c.simple_query("SELECT count(*) FROM pgbench_branches");
  if (!r) throw std::runtime_error("cannot read the scale from pgbench_branches (run `pgstream bench init` first): " +
                                   r.error().message());
  const std::int64_t n = std::stoll(r->rows.at(0).at(0).value_or("0"));
  if (n < 1) throw std::runtime_error("pgbench_branches is empty: run `pgstream bench init` first");
  return n;
}

std::chrono::system_clock::time_point parse_start_at(const std::string& text) {
  // HH:MM[:SS] today (local time), or seconds since the epoch.
  if (text.find(':') == std::string::npos) return std::chrono::system_clock::from_time_t(std::stoll(text));
  std::tm tm{};
  const std::time_t now = std::time(nullptr);
  ::localtime_r(&now, &tm);
  int h = 0, m = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d:%d:%d", &h, &m, &s) < 2) throw std::runtime_error("--start-at: expected HH:MM[:SS]");
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(std::mktime(&tm));
}

int run_bench_command(BenchFlags& f) {
  bench::VariableTable names;
  bench::RunOptions o;
  o.names = &names;
  for (const auto& d : f.defines)
    if (auto r = names.define(d); !r) throw std::runtime_error("-D " + d + ": " + r.error().message());
  bool uses_builtin = false;
  for (const auto& b : f.builtins) {
    auto spec = bench::parse_script_spec(b);
    if (!spec) throw std::runtime_error("-b " + b + ": " + spec.error().message());
    auto s = bench::parse_builtin(spec->name, names);
    if (!s) throw std::runtime_error("-b " + b + ": " + s.error().message());
    s->weight = spec->weight;
    o.scripts.push_back(std::move(*s));
    uses_builtin = true;
  }
  for (const auto& file : f.files) {
    auto spec = bench::parse_script_spec(file);
    if (!spec) throw std::runtime_error("-f " + file + ": " + spec.error().message());
    auto s = bench::parse_script(spec->name, read_text_file(spec->name), names);
    if (!s) throw std::runtime_error(s.error().message());
    s->weight = spec->weight;
    o.scripts.push_back(std::move(*s));
  }
  if (o.scripts.empty()) {
    auto s = bench::parse_builtin("tpcb-like", names);
    if (!s) throw std::runtime_error(s.error().message());
    o.scripts.push_back(std::move(*s));
    uses_builtin = true;
  }
  if (auto w = bench::total_weight(o.scripts); !w) throw std::runtime_error(w.error().message());
  auto mode = bench::parse_query_mode(f.protocol);
  if (!mode) throw std::runtime_error("-M: " + mode.error().message());
  o.mode = *mode;
  o.clients = f.clients;
  o.threads = f.threads;
  o.pipeline = f.pipeline;
  o.duration_seconds = f.time;
  o.transactions = f.transactions;
  if (!o.duration_seconds && !o.transactions) o.transactions = 10;  // pgbench's default
  o.rate = f.rate;
  o.latency_limit_ms = f.latency_limit;
  o.progress_seconds = f.progress;
  o.per_statement = f.per_statement;
  o.warmup_seconds = f.warmup;
  o.max_tries = f.max_tries;
  o.stop_on_error = f.exit_on_error;
  o.random_seed = f.seed.value_or(static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  o.scale = f.scale ? *f.scale : uses_builtin ? detect_scale(f.conn) : 1;
  if (!f.start_at.empty()) o.start_at = parse_start_at(f.start_at);
  o.stop_requested = [] { return interrupt_count().load(std::memory_order_relaxed) > 0; };

  auto builder = f.conn.builder();
  if (builder.info().application_name.value_or("").empty()) builder.application_name("pgstream bench");
  // The first Ctrl-C stops the run and reports it; the run has no abort path, so a second one leaves at once.
  install_interrupt_handlers(SecondInterrupt::exits_now);
  auto result = bench::run_bench(builder, o, [](const bench::ProgressLine& p) { print_progress_line(p); });
  if (!result) throw std::runtime_error("bench: " + result.error().to_string());

  BenchSetup setup{&o, f.protocol, f.json.empty() ? std::string() : f.json};
  print_text_report(setup, *result);
  if (!f.json.empty()) write_text_file(f.json, json_report(setup, *result));
  if (!f.hist.empty()) write_text_file(f.hist, bench::to_hgrm(result->latency));
  if (!f.plot.empty()) write_text_file(f.plot, svg_report(setup, *result));
  if (result->interrupted) return kInterruptedExitStatus;
  return result->failed > 0 ? 3 : 0;
}

int run_init_command(const InitFlags& f) {
  bench::InitOptions o;
  o.scale = f.scale;
  o.fillfactor = f.fillfactor;
  o.unlogged = f.unlogged;
  o.foreign_keys = f.foreign_keys;
  if (!f.quiet && ::isatty(2)) {
    o.progress = [](std::uint64_t done, std::uint64_t total) {
      std::fprintf(stderr, "\r%llu of %llu accounts (%.0f%%)", static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total), 100.0 * static_cast<double>(done) / static_cast<double>(total));
    };
  }
  auto builder = f.conn.builder();
  if (builder.info().application_name.value_or("").empty()) builder.application_name("pgstream bench init");
  auto r = bench::run_init(builder, o);
  if (o.progress) std::fputs("\n", stderr);
  if (!r) throw std::runtime_error(r.error().message());
  std::printf("%s\n", fmt::format("created the pgbench tables at scale {}: {} accounts, {} tellers, {} branches in {:.2f} s "
                                  "(create and COPY {:.2f} s, vacuum {:.2f} s, keys {:.2f} s)",
                                  f.scale, r->accounts, r->tellers, r->branches, r->seconds, r->create_and_copy_seconds,
                                  r->vacuum_seconds, r->keys_seconds)
                          .c_str());
  return 0;
}

int run_merge_command(const std::vector<std::string>& files, const std::string& json_out) {
  MergedRuns merged;
  for (const auto& path : files) {
    const std::string text = read_text_file(path);
    if (auto r = merge_run_json(merged, text); !r) throw std::runtime_error(path + ": " + r.error().message());
  }
  print_merged_report(merged, files.size());
  if (!json_out.empty()) write_text_file(json_out, merged_json(merged));
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("bench", "load-test a server, pgbench-compatible, with honest latency");
  cmd->require_subcommand(0, 1);
  auto f = std::make_shared<BenchFlags>();
  f->conn.add_to(*cmd);
  cmd->add_option("-b,--builtin", f->builtins, "select-only | tpcb-like | simple-update | insert, [@WEIGHT] (default tpcb-like)");
  cmd->add_option("-f,--file", f->files, "custom script (pgbench syntax), [@WEIGHT]");
  cmd->add_option("-D,--define", f->defines, "NAME=VALUE: a variable every client starts with");
  cmd->add_option("-M,--protocol", f->protocol, "simple | extended | prepared")
      ->default_val("prepared")
      ->check(CLI::IsMember({"simple", "extended", "prepared"}));
  cmd->add_option("-c,--clients", f->clients, "connections")->default_val(1)->check(CLI::Range(1, 100000));
  cmd->add_option("-j,--threads", f->threads, "reactor threads")->default_val(1)->check(CLI::Range(1, 1024));
  cmd->add_option("--pipeline", f->pipeline, "transactions in flight per connection (sliding window)")
      ->default_val(1)
      ->check(CLI::Range(1, 4096));
  auto* t = cmd->add_option("-T,--time", f->time, "run this many seconds")->check(CLI::PositiveNumber);
  cmd->add_option("-t,--transactions", f->transactions, "transactions per client (default 10)")
      ->check(CLI::PositiveNumber)
      ->excludes(t);
  cmd->add_option("-R,--rate", f->rate, "fixed arrival rate (transactions/s for the run); latency from the intended start")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-L,--latency-limit", f->latency_limit, "count transactions later than this many ms")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-P,--progress", f->progress, "a progress line every N seconds")->check(CLI::PositiveNumber);
  cmd->add_flag("-r,--per-statement", f->per_statement, "per-statement latencies");
  cmd->add_option("--json", f->json, "write the whole report as JSON (mergeable with `bench merge`)");
  cmd->add_option("--hist", f->hist, "write the latency histogram as HdrHistogram .hgrm (milliseconds)");
  cmd->add_option("--plot", f->plot, "write an SVG: latency by percentile, throughput and p99 over time");
  cmd->add_option("--warmup", f->warmup, "seconds run but left out of the results")->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-tries", f->max_tries, "tries of a transaction failing with 40001/40P01")
      ->default_val(1)
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--exit-on-error", f->exit_on_error, "end the run at the first failed transaction (default: count and go on)");
  cmd->add_option("-s,--scale", f->scale, ":scale (default: read from pgbench_branches for built-in scripts)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--random-seed", f->seed, "seed of the clients' random numbers");
  cmd->add_option("--start-at", f->start_at, "start at this wall-clock time (HH:MM[:SS] or epoch seconds)");
  cmd->callback([f, cmd, &run] {
    if (!cmd->get_subcommands().empty()) return;
    run = [f]() { return run_bench_command(*f); };
  });

  auto* init = cmd->add_subcommand("init", "create and fill the pgbench tables (binary COPY)");
  auto fi = std::make_shared<InitFlags>();
  fi->conn.add_to(*init);
  init->add_option("-s,--scale", fi->scale, "scale factor (100,000 accounts each)")->default_val(1)->check(CLI::PositiveNumber);
  init->add_option("-F,--fillfactor", fi->fillfactor, "fill factor of the updated tables")->default_val(100)->check(CLI::Range(10, 100));
  init->add_flag("--unlogged-tables", fi->unlogged, "create the tables UNLOGGED");
  init->add_flag("--foreign-keys", fi->foreign_keys, "add the foreign keys between the tables");
  init->add_flag("-q,--quiet", fi->quiet, "no progress line");
  init->callback([fi, &run] { run = [fi]() { return run_init_command(*fi); }; });

  auto* merge = cmd->add_subcommand("merge", "merge the --json reports of runs exactly (histograms add)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  merge->add_option("RUN", *files, "--json files of runs")->required()->expected(1, -1);
  merge->add_option("--json", *out, "write the merged report as JSON");
  merge->callback([files, out, &run] { run = [files, out]() { return run_merge_command(*files, *out); }; });
}

}  // namespace pgstream::cli
