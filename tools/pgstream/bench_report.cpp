#include "bench_report.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdio>
#include <vector>

#include "pgstream/bench/histogram_json.hpp"
#include "pgstream/bench/svg_plot.hpp"
#include "pgstream/load/copy_text.hpp"

namespace pgstream::cli {
namespace {

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

// "min 0.210 mean 0.612 stddev 0.310 p50 0.580 p90 ... max 9.310" in ms.
std::string distribution(const bench::LatencyHistogram& h) {
  return fmt::format("min {:.3f}  mean {:.3f}  stddev {:.3f}  p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  "
                     "p99.99 {:.3f}  max {:.3f}",
                     ms(h.min()), h.mean() / 1e6, h.stddev() / 1e6, ms(h.value_at_percentile(50)),
                     ms(h.value_at_percentile(90)), ms(h.value_at_percentile(99)), ms(h.value_at_percentile(99.9)),
                     ms(h.value_at_percentile(99.99)), ms(h.max()));
}

void distribution_json(std::string& out, const char* name, const bench::LatencyHistogram& h) {
  out += fmt::format(",\"{}\":{{\"count\":{},\"min_ms\":{:.6f},\"mean_ms\":{:.6f},\"stddev_ms\":{:.6f},"
                     "\"p50_ms\":{:.6f},\"p90_ms\":{:.6f},\"p99_ms\":{:.6f},\"p99_9_ms\":{:.6f},\"p99_99_ms\":{:.6f},"
                     "\"max_ms\":{:.6f},\"histogram\":",
                     name, h.count(), ms(h.min()), h.mean() / 1e6, h.stddev() / 1e6, ms(h.value_at_percentile(50)),
                     ms(h.value_at_percentile(90)), ms(h.value_at_percentile(99)), ms(h.value_at_percentile(99.9)),
                     ms(h.value_at_percentile(99.99)), ms(h.max()));
  out += bench::to_json(h);
  out += '}';
}

void errors_json(std::string& out, const std::map<std::string, std::uint64_t>& errors) {
  out += ",\"errors_by_sqlstate\":{";
  bool first = true;
  for (const auto& [code, n] : errors) {
    if (!first) out += ',';
    first = false;
    load::append_json_string(out, code);
    out += fmt::format(":{}", n);
  }
  out += '}';
}

void print_line(const std::string& s) { std::printf("%s\n", s.c_str()); }

}  // namespace

void print_progress_line(const bench::ProgressLine& p) {
  const auto& h = p.latency;
  std::string line = fmt::format("progress: {:.1f} s, {:.1f} tps, lat p50 {:.3f} p99 {:.3f} max {:.3f} ms, {} failed",
                                 p.at_seconds, static_cast<double>(p.completed) / p.interval_seconds,
                                 ms(h.value_at_percentile(50)), ms(h.value_at_percentile(99)), ms(h.max()), p.failed);
  if (p.lag_ms > 0) line += fmt::format(", lag {:.3f} ms", p.lag_ms);
  std::fprintf(stderr, "%s\n", line.c_str());
}

void print_text_report(const BenchSetup& setup, const bench::RunResult& r) {
  const bench::RunOptions& o = *setup.options;
  std::string types;
  for (const auto& s : o.scripts) types += (types.empty() ? "" : ", ") + s.name;
  print_line("transaction type: " + types);
  print_line(fmt::format("scaling factor: {}", o.scale));
  print_line("query mode: " + setup.protocol);
  print_line(fmt::format("number of clients: {}", o.clients));
  print_line(fmt::format("number of threads: {}", o.threads));
  print_line(fmt::format("pipeline: {} transaction(s) in flight per client; statements of a transaction sent back "
                         "to back, one Sync each",
                         o.pipeline));
  if (o.duration_seconds) print_line(fmt::format("duration: {} s", *o.duration_seconds));
  else print_line(fmt::format("number of transactions per client: {}", *o.transactions));
  if (o.warmup_seconds > 0) print_line(fmt::format("warm-up: {} s (not counted)", o.warmup_seconds));
  const double total = static_cast<double>(r.transactions + r.failed);
  print_line(fmt::format("number of transactions actually processed: {}", r.transactions));
  print_line(fmt::format("number of failed transactions: {} ({:.3f}%)", r.failed,
                         total > 0 ? 100.0 * static_cast<double>(r.failed) / total : 0.0));
  if (o.max_tries > 1) print_line(fmt::format("number of transactions retried: {}", r.retried));
  if (o.latency_limit_ms)
    print_line(fmt::format("number of transactions above the {} ms latency limit: {}{}", *o.latency_limit_ms, r.late,
                           o.rate ? fmt::format(" (and {} skipped)", r.skipped) : ""));
  print_line(fmt::format("latency average = {:.3f} ms", r.latency.mean() / 1e6));
  if (o.rate) {
    print_line(fmt::format("rate limit schedule lag: avg {:.3f} (max {:.3f}) ms, backlog max {}", r.schedule_lag.mean() / 1e6,
                           ms(r.schedule_lag.max()), r.backlog_max));
  }
  print_line(fmt::format("tps = {:.6f} (without initial connection time)",
                         r.seconds > 0 ? static_cast<double>(r.transactions) / r.seconds : 0.0));
  print_line(std::string("latency ms") + (o.rate ? " (from the intended start)" : "") + ": " + distribution(r.latency));
  if (o.rate) print_line("service time ms (from the send): " + distribution(r.service));
  if (!r.errors_by_sqlstate.empty()) {
    std::string e;
    for (const auto& [code, n] : r.errors_by_sqlstate) e += fmt::format("{}{}: {}", e.empty() ? "" : ", ", code, n);
    print_line("failures by SQLSTATE: " + e);
  }
  if (r.reconnects) print_line(fmt::format("reconnections: {}", r.reconnects));
  const double done = static_cast<double>(std::max<std::uint64_t>(r.transactions + r.failed, 1));
  const double cpu = r.client_user_seconds + r.client_sys_seconds;
  print_line(fmt::format("client: {:.2f} s CPU ({:.2f} user, {:.2f} sys), {:.1f} us per transaction, {:.2f} "
                         "io_uring_enter calls per transaction; busiest thread on CPU {:.0f}% of the run",
                         cpu, r.client_user_seconds, r.client_sys_seconds, cpu / done * 1e6,
                         static_cast<double>(r.syscalls) / done, r.busiest_thread_cpu * 100));
  if (o.per_statement) {
    print_line("statement latencies in milliseconds (mean, p99) and failures:");
    for (const auto& st : r.statements) {
      const auto& cmd = o.scripts[st.script].commands[st.command];
      print_line(fmt::format("  {:10.3f} {:10.3f} {:8}  {}", st.latency.mean() / 1e6, ms(st.latency.value_at_percentile(99)),
                             st.errors, cmd.sql.text));
    }
  }
  if (r.interrupted) print_line("INTERRUPTED: the figures cover what ran before Ctrl-C");
  if (r.stopped_on_error) print_line("STOPPED at the first failed transaction (--exit-on-error)");
  for (const auto& w : r.warnings) print_line("WARNING: " + w);
}

std::string json_report(const BenchSetup& setup, const bench::RunResult& r) {
  const bench::RunOptions& o = *setup.options;
  std::string out = "{\"format\":\"pgstream-bench\",\"version\":1,\"scripts\":[";
  for (std::size_t i = 0; i < o.scripts.size(); ++i) {
    if (i) out += ',';
    out += "{\"name\":";
    load::append_json_string(out, o.scripts[i].name);
    out += fmt::format(",\"weight\":{},\"transactions\":{}}}", o.scripts[i].weight, r.per_script_transactions[i]);
  }
  out += "],\"protocol\":";
  load::append_json_string(out, setup.protocol);
  out += fmt::format(",\"clients\":{},\"threads\":{},\"pipeline\":{},\"scale\":{}", o.clients, o.threads, o.pipeline, o.scale);
  if (o.rate) out += fmt::format(",\"rate\":{}", *o.rate);
  out += fmt::format(",\"seconds\":{:.6f},\"transactions\":{},\"failed\":{},\"retried\":{},\"late\":{},\"skipped\":{},"
                     "\"tps\":{:.3f},\"reconnects\":{},\"backlog_max\":{},\"interrupted\":{}",
                     r.seconds, r.transactions, r.failed, r.retried, r.late, r.skipped,
                     r.seconds > 0 ? static_cast<double>(r.transactions) / r.seconds : 0.0, r.reconnects, r.backlog_max,
                     r.interrupted ? "true" : "false");
  out += fmt::format(",\"client\":{{\"user_seconds\":{:.6f},\"sys_seconds\":{:.6f},\"io_uring_enter_calls\":{},"
                     "\"busiest_thread_cpu\":{:.4f}}}",
                     r.client_user_seconds, r.client_sys_seconds, r.syscalls, r.busiest_thread_cpu);
  errors_json(out, r.errors_by_sqlstate);
  distribution_json(out, "latency", r.latency);
  distribution_json(out, "service", r.service);
  distribution_json(out, "schedule_lag", r.schedule_lag);
  out += ",\"timeline\":[";
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    const auto& p = r.timeline[i];
    if (i) out += ',';
    out += fmt::format("{{\"at_seconds\":{:.3f},\"tps\":{:.3f},\"p50_ms\":{:.6f},\"p99_ms\":{:.6f},\"max_ms\":{:.6f},\"failed\":{}}}",
                       p.at_seconds, p.tps, ms(p.p50_ns), ms(p.p99_ns), ms(p.max_ns), p.failed);
  }
  out += "],\"statements\":[";
  for (std::size_t i = 0; i < r.statements.size(); ++i) {
    const auto& st = r.statements[i];
    if (i) out += ',';
    out += fmt::format("{{\"script\":{},\"command\":{},\"sql\":", st.script, st.command);
    load::append_json_string(out, o.scripts[st.script].commands[st.command].sql.text);
    out += fmt::format(",\"errors\":{},\"mean_ms\":{:.6f},\"p99_ms\":{:.6f}}}", st.errors, st.latency.mean() / 1e6,
                       ms(st.latency.value_at_percentile(99)));
  }
  out += "],\"warnings\":[";
  for (std::size_t i = 0; i < r.warnings.size(); ++i) {
    if (i) out += ',';
    load::append_json_string(out, r.warnings[i]);
  }
  out += "]}\n";
  return out;
}

std::string svg_report(const BenchSetup& setup, const bench::RunResult& r) {
  std::vector<bench::LatencySeries> series;
  series.push_back({setup.options->rate ? "latency from intended start" : "latency", &r.latency});
  if (setup.options->rate) series.push_back({"service time", &r.service});
  std::vector<bench::IntervalStats> timeline;
  for (const auto& p : r.timeline) {
    bench::IntervalStats s;
    s.length_ns = static_cast<std::int64_t>(p.interval_seconds * 1e9);
    s.start_ns = static_cast<std::int64_t>(p.at_seconds * 1e9) - s.length_ns;
    s.completed = p.completed;
    s.errors = p.failed;
    s.p50_ns = p.p50_ns;
    s.p99_ns = p.p99_ns;
    s.max_ns = p.max_ns;
    timeline.push_back(std::move(s));
  }
  bench::SvgPlotOptions options;
  std::string title = "pgstream bench: ";
  for (const auto& s : setup.options->scripts) title += s.name + " ";
  title += fmt::format("- {} clients, {} mode", setup.options->clients, setup.protocol);
  options.title = title;
  return bench::write_latency_svg(series, timeline, options);
}

Result<void> merge_run_json(MergedRuns& m, std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return make_error(ErrorCategory::decode, "not JSON");
  std::string_view format;
  if (doc["format"].get_string().get(format) || format != "pgstream-bench")
    return make_error(ErrorCategory::decode, "not a `pgstream bench --json` report");
  auto number = [&](const char* key) -> std::uint64_t {
    std::uint64_t v = 0;
    if (doc[key].get_uint64().get(v)) v = 0;  // absent in older reports
    return v;
  };
  m.transactions += number("transactions");
  m.failed += number("failed");
  m.retried += number("retried");
  m.late += number("late");
  m.skipped += number("skipped");
  double seconds = 0;
  if (doc["seconds"].get_double().get(seconds)) return make_error(ErrorCategory::decode, "no \"seconds\"");
  m.seconds = std::max(m.seconds, seconds);
  simdjson::ondemand::object client;
  if (!doc["client"].get_object().get(client)) {
    double u = 0, s = 0;
    std::uint64_t calls = 0;
    if (client["user_seconds"].get_double().get(u)) u = 0;
    if (client["sys_seconds"].get_double().get(s)) s = 0;
    if (client["io_uring_enter_calls"].get_uint64().get(calls)) calls = 0;
    m.client_cpu_seconds += u + s;
    m.syscalls += calls;
  }
  simdjson::ondemand::object errors;
  if (!doc["errors_by_sqlstate"].get_object().get(errors)) {
    for (auto field : errors) {
      std::string_view key;
      std::uint64_t n = 0;
      if (field.unescaped_key().get(key) || field.value().get_uint64().get(n)) continue;
      m.errors_by_sqlstate[std::string(key)] += n;
    }
  }
  for (auto [name, target] : {std::pair{"latency", &m.latency}, std::pair{"service", &m.service},
                              std::pair{"schedule_lag", &m.schedule_lag}}) {
    simdjson::ondemand::object dist, hist;
    std::string_view raw;
    if (doc[name].get_object().get(dist) || dist["histogram"].get_object().get(hist) || hist.raw_json().get(raw))
      return make_error(ErrorCategory::decode, std::string("no \"") + name + "\" histogram");
    auto h = bench::from_json(raw, target->config());
    if (!h) return std::unexpected(h.error());
    if (auto r = target->merge(*h); !r) return r;
  }
  return {};
}

void print_merged_report(const MergedRuns& m, std::size_t runs) {
  print_line(fmt::format("merged {} runs: {} transactions, {} failed, over {:.3f} s: tps = {:.6f}", runs, m.transactions,
                         m.failed, m.seconds, m.seconds > 0 ? static_cast<double>(m.transactions) / m.seconds : 0.0));
  print_line("latency ms: " + distribution(m.latency));
  if (!m.schedule_lag.empty()) print_line("service time ms: " + distribution(m.service));
  if (!m.errors_by_sqlstate.empty()) {
    std::string e;
    for (const auto& [code, n] : m.errors_by_sqlstate) e += fmt::format("{}{}: {}", e.empty() ? "" : ", ", code, n);
    print_line("failures by SQLSTATE: " + e);
  }
  const double done = static_cast<double>(std::max<std::uint64_t>(m.transactions + m.failed, 1));
  print_line(fmt::format("clients: {:.2f} s CPU, {:.1f} us per transaction", m.client_cpu_seconds,
                         m.client_cpu_seconds / done * 1e6));
}

std::string merged_json(const MergedRuns& m) {
  std::string out = fmt::format("{{\"format\":\"pgstream-bench\",\"version\":1,\"merged\":true,\"seconds\":{:.6f},"
                                "\"transactions\":{},\"failed\":{},\"retried\":{},\"late\":{},\"skipped\":{},\"tps\":{:.3f}",
                                m.seconds, m.transactions, m.failed, m.retried, m.late, m.skipped,
                                m.seconds > 0 ? static_cast<double>(m.transactions) / m.seconds : 0.0);
  out += fmt::format(",\"client\":{{\"user_seconds\":{:.6f},\"sys_seconds\":0,\"io_uring_enter_calls\":{}}}",
                     m.client_cpu_seconds, m.syscalls);
  errors_json(out, m.errors_by_sqlstate);
  distribution_json(out, "latency", m.latency);
  distribution_json(out, "service", m.service);
  distribution_json(out, "schedule_lag", m.schedule_lag);
  out += "}\n";
  return out;
}

}  // namespace pgstream::cli
