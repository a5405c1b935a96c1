// The same closed loop as select_reactor, with libpq's pipeline mode (PostgreSQL 14+): one thread
// polls N non-blocking connections, each keeping D prepared queries (one Sync each) in flight.
// A peer for benchmarks only: the project itself never links libpq.
//
//   select_libpq DSN CONNECTIONS DEPTH SECONDS [SQL]
#include <libpq-fe.h>
#include <poll.h>
#include <sys/resource.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void die(PGconn* c, const char* what) {
  std::fprintf(stderr, "select_libpq: %s: %s\n", what, c ? PQerrorMessage(c) : "");
  std::exit(1);
}

struct Conn {
  PGconn* pg = nullptr;
  std::size_t in_flight = 0;
  std::uint64_t done = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: select_libpq DSN CONNECTIONS DEPTH SECONDS [SQL]\n");
    return 2;
  }
  const auto n = static_cast<std::size_t>(std::atoi(argv[2]));
  const auto depth = static_cast<std::size_t>(std::atoi(argv[3]));
  const double seconds = std::atof(argv[4]);
  const std::string sql = argc > 5 ? argv[5] : "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
  std::vector<Conn> conns(n);
  const Oid int4 = 23;
  for (auto& c : conns) {
    c.pg = PQconnectdb(argv[1]);
    if (PQstatus(c.pg) != CONNECTION_OK) die(c.pg, "connect");
    PGresult* r = PQprepare(c.pg, "q", sql.c_str(), 1, &int4);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die(c.pg, "prepare");
    PQclear(r);
    if (PQsetnonblocking(c.pg, 1) != 0 || PQenterPipelineMode(c.pg) != 1) die(c.pg, "pipeline mode");
  }
  std::mt19937 rng(12345);
  const int fmt = 1;
  const int len = 4;
  auto send_one = [&](Conn& c) {
    const std::uint32_t aid = htonl(static_cast<std::uint32_t>(rng() % 100000) + 1);
    const char* value = reinterpret_cast<const char*>(&aid);
    if (!PQsendQueryPrepared(c.pg, "q", 1, &value, &len, &fmt, 1)) die(c.pg, "send");
    if (!PQpipelineSync(c.pg)) die(c.pg, "sync");
    ++c.in_flight;
  };
  std::vector<pollfd> fds(n);
  bool stopping = false;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const auto until = t0 + std::chrono::duration<double>(seconds);
  for (auto& c : conns)
    while (c.in_flight < depth) send_one(c);
  for (;;) {
    if (!stopping && std::chrono::steady_clock::now() >= until) stopping = true;
    std::size_t busy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      fds[i].fd = PQsocket(conns[i].pg);
      const int flush = PQflush(conns[i].pg);
      fds[i].events = POLLIN | (flush == 1 ? POLLOUT : 0);
      busy += conns[i].in_flight > 0;
    }
    if (stopping && busy == 0) break;
    if (poll(fds.data(), n, 1000) < 0) die(nullptr, "poll");
    for (std::size_t i = 0; i < n; ++i) {
      Conn& c = conns[i];
      if (!(fds[i].revents & POLLIN)) continue;
      if (!PQconsumeInput(c.pg)) die(c.pg, "consume");
      while (!PQisBusy(c.pg)) {
        PGresult* r = PQgetResult(c.pg);
        if (!r) {  // end of one query's results; nothing more when no Sync is outstanding
          if (c.in_flight == 0) break;
          continue;
        }
        const auto st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_PIPELINE_SYNC) {
          --c.in_flight;
          ++c.done;
          if (!stopping) send_one(c);
        } else if (st != PGRES_TUPLES_OK) {
          die(c.pg, "query");
        }
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  std::uint64_t total = 0;
  for (auto& c : conns) {
    total += c.done;
    PQfinish(c.pg);
  }
  std::printf("queries=%llu seconds=%.3f qps=%.0f cpu_us_per_query=%.3f\n", static_cast<unsigned long long>(total),
              elapsed, static_cast<double>(total) / elapsed, cpu * 1e6 / static_cast<double>(total));
  return 0;
}
