// Closed-loop prepared SELECTs through the pgstream reactor: N connections, D requests in flight
// each (one Sync per query), for T seconds. Prints one line: queries, seconds, q/s, and this
// process's CPU seconds (user+sys) per query, so runs can be compared with peer tools.
//
//   select_reactor DSN CONNECTIONS DEPTH SECONDS [SQL]
//   (SQL takes one int4 parameter; default: pgbench -S's statement)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "pgstream/protocol/frontend.hpp"
#include "pgstream/protocol/types/types.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"

namespace fe = pgstream::protocol::frontend;
using pgstream::uring::Connection;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Worker;

struct Query final : pgstream::uring::RequestHandler {
  Worker* worker = nullptr;
  void on_complete(Connection& c, pgstream::Result<void> outcome) override;
};

struct Worker {
  Connection* conn = nullptr;
  std::vector<Query> queries;
  std::size_t next = 0;
  bool prepared = false;
  bool stopping = false;
  std::uint64_t done = 0;
  std::mt19937 rng{12345};
  std::string sql;
  std::size_t depth = 1;
  Query prepare;

  void fill() {
    while (prepared && !stopping && conn->requests_in_flight() < depth) {
      const std::size_t mark = conn->sink().size();
      const std::int32_t aid = static_cast<std::int32_t>(rng() % 100000) + 1;
      auto r = fe::bind(conn->sink(), "", "q", {pgstream::protocol::Format::binary}, aid);
      if (r) r = fe::execute(conn->sink());
      if (r) fe::sync(conn->sink());
      if (!r || conn->sink().overflowed()) {
        pgstream::protocol::rollback(conn->sink(), mark);
        conn->notify_when_writable();
        return;
      }
      Query& q = queries[next];
      next = (next + 1) % queries.size();
      if (!conn->push_request(&q)) {
        pgstream::protocol::rollback(conn->sink(), mark);
        return;
      }
    }
  }
};

void Query::on_complete(Connection&, pgstream::Result<void> outcome) {
  if (!outcome) {
    std::fprintf(stderr, "select_reactor: %s\n", outcome.error().to_string().c_str());
    std::exit(1);
  }
  if (this == &worker->prepare) worker->prepared = true;
  else ++worker->done;
  worker->fill();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: select_reactor DSN CONNECTIONS DEPTH SECONDS [SQL]\n");
    return 2;
  }
  const std::string dsn = argv[1];
  const auto connections = static_cast<std::size_t>(std::atoi(argv[2]));
  const auto depth = static_cast<std::size_t>(std::atoi(argv[3]));
  const double seconds = std::atof(argv[4]);
  const std::string sql = argc > 5 ? argv[5] : "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
  auto builder = pgstream::client::ConnectionBuilder::from_conninfo(dsn);
  if (!builder) {
    std::fprintf(stderr, "select_reactor: %s\n", builder.error().to_string().c_str());
    return 2;
  }
  pgstream::uring::ReactorOptions options;
  options.send_buffer_bytes = 64 * 1024;
  options.recv_ring_bytes = 64 * 1024;
  if (const char* c = std::getenv("PGSTREAM_COALESCE")) options.coalesce_completions = static_cast<unsigned>(std::atoi(c));
  auto reactor = pgstream::uring::Reactor::create(options);
  if (!reactor) {
    std::fprintf(stderr, "select_reactor: %s\n", reactor.error().to_string().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<Worker>> workers;
  std::size_t ready = 0;
  for (std::size_t i = 0; i < connections; ++i) {
    auto w = std::make_unique<Worker>();
    w->depth = depth;
    w->sql = sql;
    w->queries.resize(depth);
    for (auto& q : w->queries) q.worker = w.get();
    w->prepare.worker = w.get();
    Worker* raw = w.get();
    pgstream::uring::ConnectionEvents ev;
    ev.on_ready = [raw, &ready](Connection& c) {
      raw->conn = &c;
      if (!fe::parse(c.sink(), "q", raw->sql, {23})) std::exit(1);
      fe::sync(c.sink());
      if (!c.push_request(&raw->prepare)) std::exit(1);
      ++ready;
    };
    ev.on_writable = [raw](Connection&) { raw->fill(); };
    ev.on_closed = [](Connection&, const pgstream::Error& e) {
      std::fprintf(stderr, "select_reactor: connection closed: %s\n", e.to_string().c_str());
      std::exit(1);
    };
    if (auto c = (*reactor)->open(*builder, ev); !c) {
      std::fprintf(stderr, "select_reactor: %s\n", c.error().to_string().c_str());
      return 1;
    }
    workers.push_back(std::move(w));
  }
  if (!(*reactor)->run_until([&] {
        for (auto& w : workers)
          if (!w->prepared) return false;
        return true;
      }))
    return 1;
  for (auto& w : workers) w->done = 0;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const auto until = t0 + std::chrono::duration<double>(seconds);
  if (!(*reactor)->run_until([&] { return std::chrono::steady_clock::now() >= until; })) return 1;
  for (auto& w : workers) w->stopping = true;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  std::uint64_t total = 0;
  for (auto& w : workers) total += w->done;
  std::printf("queries=%llu seconds=%.3f qps=%.0f cpu_us_per_query=%.3f\n", static_cast<unsigned long long>(total),
              elapsed, static_cast<double>(total) / elapsed, cpu * 1e6 / static_cast<double>(total));
  return 0;
}
