// Exactly-once loading against the real server: connections terminated by an administrator
// mid-load, a COMMIT whose answer is lost (forced by a proxy that cuts the connection right
// around it), resuming a finished load, and a resume whose input changed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "pgstream/load/loader.hpp"
#include "pgstream/load/progress_table.hpp"
#include "support/load_support.hpp"

namespace pgstream::testing {
namespace {

std::string rows_file(const fs::path& p, int n, int bad_every = 0) {
  std::string text;
  text.reserve(static_cast<std::size_t>(n) * 24);
  for (int i = 1; i <= n; ++i) {
    if (bad_every && i % bad_every == 0) text += "{bad json " + std::to_string(i) + "\n";
    else text += "{\"id\":" + std::to_string(i) + ",\"v\":\"r" + std::to_string(i) + "\"}\n";
  }
  return write_file(p, text);
}

void fresh_table(client::PgConnection& conn, const std::string& schema) {
  // No unique key on purpose: a row loaded twice must show up as a duplicate, not as a reject.
  auto r = conn.simple_query("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema +
                             "; CREATE TABLE " + schema + ".t(id int NOT NULL, v text)");
  ASSERT_TRUE(r) << r.error().to_string();
}

// count(*) and count(DISTINCT id) of the table.
std::pair<long, long> counts(client::PgConnection& conn, const std::string& table) {
  auto r = conn.simple_query("SELECT count(*), count(DISTINCT id) FROM " + table);
  EXPECT_TRUE(r) << r.error().to_string();
  if (!r) return {-1, -1};
  return {std::stol(*r->rows[0][0]), std::stol(*r->rows[0][1])};
}

client::ConnectionBuilder builder_with_name(const std::string& app, int port) {
  auto b = client::ConnectionBuilder::from_conninfo("host=127.0.0.1 sslmode=disable dbname=postgres port=" +
                                                    std::to_string(port) + " user=" + TestServer::instance()->admin_user() +
                                                    " application_name=" + app);
  EXPECT_TRUE(b) << b.error().to_string();
  return *b;
}

TEST(LoadExactlyOnce, BackendsTerminatedEvery200msLoadEachRowOnce) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  fresh_table(conn, "eo_term");
  TempDir dir;
  constexpr int n = 1'000'000;
  load::LoadOptions o;
  o.files = {rows_file(dir.path / "in.jsonl", n)};
  o.table = "eo_term.t";
  o.connections = 4;
  o.batch_rows = 5'000;  // a batch must be able to finish between two terminations
  o.retry_initial_backoff = std::chrono::milliseconds(20);
  o.retry_max_backoff = std::chrono::milliseconds(200);
  o.state_required = true;
  BackendKiller killer("eo-term", 3, std::chrono::milliseconds(200));
  auto report = load::run_load(builder_with_name("eo-term", TestServer::instance()->port()), o);
  killer.stop();
  ASSERT_TRUE(report) << report.error().to_string();
  std::printf("terminated %d backends; %llu reconnects, %llu batches resent, lost COMMIT answers: %llu committed, "
              "%llu rolled back; %.2f s\n",
              killer.terminated(), static_cast<unsigned long long>(report->reconnects),
              static_cast<unsigned long long>(report->batches_resent),
              static_cast<unsigned long long>(report->ambiguous_committed),
              static_cast<unsigned long long>(report->ambiguous_rolled_back), report->seconds);
  EXPECT_GT(killer.terminated(), 0);
  EXPECT_GT(report->reconnects, 0u);
  EXPECT_EQ(report->rows_loaded, static_cast<std::uint64_t>(n));
  EXPECT_EQ(counts(conn, "eo_term.t"), std::pair(long{n}, long{n}));
}

// Forwards TCP bytes to the server and, once armed, cuts the first connection that sends a
// COMMIT: after passing the COMMIT on (the server commits, the client never hears) or before
// (the transaction rolls back, the client cannot know).
class CommitCutter {
 public:
  enum class Cut { after_commit, before_commit };
  CommitCutter(int server_port, Cut cut, int nth_commit) : server_port_(server_port), cut_(cut), nth_(nth_commit) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~CommitCutter() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : pipes_) t.join();
    ::close(listen_fd_);
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] bool cut_done() const { return cut_done_; }

 private:
  void accept_loop() {
    for (;;) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0 || stop_) {
        if (c >= 0) ::close(c);
        return;
      }
      const int s = connect_tcp("127.0.0.1", server_port_);
      pipes_.emplace_back([this, c, s] { pipe(c, s); });
    }
  }

  static bool send_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  void pipe(int client, int server) {
    std::string from_client;  // bytes not yet forwarded: whole messages go, one by one
    bool startup_done = false;
    char buf[65536];
    for (;;) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 200) < 0) break;
      if (stop_) break;
      if (p[1].revents) {
        const ssize_t n = ::recv(server, buf, sizeof buf, 0);
        if (n <= 0 || !send_all(client, buf, static_cast<std::size_t>(n))) break;
      }
      if (!p[0].revents) continue;
      const ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      from_client.append(buf, static_cast<std::size_t>(n));
      std::size_t pos = 0;
      bool cut = false;
      for (;;) {
        const std::size_t header = startup_done ? 5 : 4;
        if (from_client.size() - pos < header) break;
        std::uint32_t len = 0;
        std::memcpy(&len, from_client.data() + pos + (startup_done ? 1 : 0), 4);
        len = ntohl(len);
        const std::size_t total = (startup_done ? 1 : 0) + len;
        if (from_client.size() - pos < total) break;
        const bool is_commit = startup_done && from_client[pos] == 'Q' &&
                               std::string_view(from_client).substr(pos + 5, total - 5) == std::string_view("COMMIT", 7);
        if (is_commit && !cut_done_ && ++commits_ == nth_) {
          cut_done_ = true;
          if (cut_ == Cut::after_commit) send_all(server, from_client.data() + pos, total);
          cut = true;
          break;
        }
        if (!send_all(server, from_client.data() + pos, total)) break;
        startup_done = true;
        pos += total;
      }
      from_client.erase(0, pos);
      if (cut) {
        // The client sees its connection die with no answer; the server reads what was passed
        // on, then the end of the stream.
        ::close(client);
        client = -1;
        ::shutdown(server, SHUT_WR);
        while (::recv(server, buf, sizeof buf, 0) > 0) {
        }
        break;
      }
    }
    if (client >= 0) ::close(client);
    ::close(server);
  }

  int server_port_;
  Cut cut_;
  int nth_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_done_{false};
  std::atomic<int> commits_{0};
  std::thread acceptor_;
  std::vector<std::thread> pipes_;
};

void ambiguous_commit(CommitCutter::Cut cut, const std::string& schema) {
  auto conn = admin();
  fresh_table(conn, schema);
  TempDir dir;
  constexpr int n = 1'000;
  CommitCutter proxy(TestServer::instance()->port(), cut, 3);
  load::LoadOptions o;
  o.files = {rows_file(dir.path / "in.jsonl", n)};
  o.table = schema + ".t";
  o.connections = 1;
  o.batch_rows = 100;
  o.state_required = true;
  auto report = load::run_load(builder_with_name("eo-ambiguous", proxy.port()), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(proxy.cut_done());
  EXPECT_EQ(report->reconnects, 1u);
  EXPECT_EQ(report->batches_resent, 1u);
  if (cut == CommitCutter::Cut::after_commit) {
    EXPECT_EQ(report->ambiguous_committed, 1u);
    EXPECT_EQ(report->ambiguous_rolled_back, 0u);
  } else {
    EXPECT_EQ(report->ambiguous_committed, 0u);
    EXPECT_EQ(report->ambiguous_rolled_back, 1u);
  }
  EXPECT_EQ(report->rows_loaded, static_cast<std::uint64_t>(n));
  EXPECT_EQ(counts(conn, o.table), std::pair(long{n}, long{n}));
}

TEST(LoadExactlyOnce, LostCommitAnswerOfACommittedBatchIsFoundInTheProgressTable) {
  PGSTREAM_REQUIRE_SERVER();
  ambiguous_commit(CommitCutter::Cut::after_commit, "eo_amb_after");
}

TEST(LoadExactlyOnce, LostCommitAnswerOfARolledBackBatchIsResent) {
  PGSTREAM_REQUIRE_SERVER();
  ambiguous_commit(CommitCutter::Cut::before_commit, "eo_amb_before");
}

TEST(LoadExactlyOnce, ResumingAFinishedLoadLoadsNothingAndSaysSo) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  fresh_table(conn, "eo_finished");
  TempDir dir;
  load::LoadOptions o;
  o.files = {rows_file(dir.path / "in.jsonl", 500, 50)};
  o.table = "eo_finished.t";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.batch_rows = 100;
  auto first = load::run_load(admin_builder(), o);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->rows_loaded, 490u);
  EXPECT_EQ(first->rows_rejected, 10u);
  o.resume = true;
  auto again = load::run_load(admin_builder(), o);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(again->already_finished);
  EXPECT_FALSE(again->finished_at.empty());
  EXPECT_EQ(again->rows_loaded, 0u);
  EXPECT_EQ(again->lines_read, 0u);
  EXPECT_EQ(again->resumed_rows, 490u);
  EXPECT_EQ(again->resumed_rejected, 10u);
  EXPECT_EQ(counts(conn, "eo_finished.t"), std::pair(490L, 490L));
}

// Two runs of one load at once would each load every row: the second is refused while the first
// holds the claim, and may go once the first's session ends.
TEST(LoadExactlyOnce, ASecondRunOfARunningLoadIsRefused) {
  PGSTREAM_REQUIRE_SERVER();
  auto first = admin();
  auto second = admin();
  auto table = load::ProgressTable::open(first, "pgstream");
  ASSERT_TRUE(table) << table.error().to_string();
  ASSERT_TRUE(table->claim(first, "eo-claim"));
  auto refused = table->claim(second, "eo-claim");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().category(), ErrorCategory::config);
  EXPECT_NE(refused.error().message().find("running already"), std::string::npos) << refused.error().to_string();
  auto pid = first.simple_query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid) << pid.error().to_string();
  EXPECT_NE(refused.error().message().find("server process " + *pid->rows[0][0]), std::string::npos)
      << refused.error().to_string();
  EXPECT_TRUE(table->claim(second, "eo-other-load"));
  first.close();
  EXPECT_TRUE(table->claim(second, "eo-claim")) << "the claim outlived its session";
}

TEST(LoadExactlyOnce, AFinishedLoadKeepsOneProgressRowPerFile) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  fresh_table(conn, "eo_fold");
  TempDir dir;
  load::LoadOptions o;
  o.files = {rows_file(dir.path / "a.jsonl", 1000, 100), rows_file(dir.path / "b.jsonl", 700)};
  o.table = "eo_fold.t";
  o.load_id = "eo-fold";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.batch_rows = 100;
  o.state_required = true;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_GT(report->batches, 10u);
  auto rows = conn.simple_query("SELECT count(*), sum(rows), string_agg(lines::text || '/' || rejected::text, ' ' ORDER BY file_no) "
                                "FROM pgstream.load_progress WHERE load_id = 'eo-fold'");
  ASSERT_TRUE(rows) << rows.error().to_string();
  EXPECT_EQ(rows->rows[0][0], "2");
  EXPECT_EQ(rows->rows[0][1], "1690");
  EXPECT_EQ(rows->rows[0][2],
            "{[1,100),[101,200),[201,300),[301,400),[401,500),[501,600),[601,700),[701,800),[801,900),[901,1000)}/"
            "{[100,101),[200,201),[300,301),[400,401),[500,501),[600,601),[700,701),[800,801),[900,901),[1000,1001)} "
            "{[1,701)}/{}");
}

TEST(LoadExactlyOnce, ResumeWithChangedInputIsRefused) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  fresh_table(conn, "eo_changed");
  TempDir dir;
  load::LoadOptions o;
  o.files = {rows_file(dir.path / "in.jsonl", 300)};
  o.table = "eo_changed.t";
  o.load_id = "eo-changed";  // a named load: the same id whatever the files are
  auto first = load::run_load(admin_builder(), o);
  ASSERT_TRUE(first) << first.error().to_string();
  // An unfinished run with the derived id, then the file grows.
  o.load_id.clear();
  {
    // Register the load as unfinished by starting it and stopping at once (a first Ctrl-C).
    std::atomic<int> stop{1};
    o.interrupts = &stop;
    auto stopped = load::run_load(admin_builder(), o);
    ASSERT_TRUE(stopped) << stopped.error().to_string();
    EXPECT_TRUE(stopped->interrupted);
    o.interrupts = nullptr;
  }
  std::ofstream(dir.path / "in.jsonl", std::ios::app) << "{\"id\":301,\"v\":\"new\"}\n";
  o.resume = true;
  auto derived = load::run_load(admin_builder(), o);
  ASSERT_FALSE(derived);
  EXPECT_NE(derived.error().message().find("input changed"), std::string::npos) << derived.error().to_string();
  EXPECT_NE(derived.error().message().find("in.jsonl"), std::string::npos) << derived.error().to_string();
  o.load_id = "eo-changed";
  auto named = load::run_load(admin_builder(), o);
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message().find("input changed"), std::string::npos) << named.error().to_string();
}

}  // namespace
}  // namespace pgstream::testing
