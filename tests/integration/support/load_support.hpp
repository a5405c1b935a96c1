#pragma once
// What the load integration tests share: the admin connection to the scratch server, a private
// temporary directory per test, and reading the rejects file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "pgstream/client/pg_connection.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {

namespace fs = std::filesystem;

inline std::string admin_dsn() {
  const auto& s = *TestServer::instance();
  return "host=127.0.0.1 sslmode=disable dbname=postgres port=" + std::to_string(s.port()) + " user=" + s.admin_user();
}

inline client::PgConnection admin() {
  auto conn = client::PgConnection::connect(admin_dsn());
  EXPECT_TRUE(conn) << conn.error().to_string();
  return std::move(*conn);
}

inline client::ConnectionBuilder admin_builder() {
  auto b = client::ConnectionBuilder::from_conninfo(admin_dsn());
  EXPECT_TRUE(b) << b.error().to_string();
  return *b;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("pgstream-load-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

inline std::string write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p.string();
}

// The rejects-file record of input line `n` (empty when there is none).
inline std::string reject_of(const std::string& rejects, std::uint64_t n) {
  const std::string key = "\"line\":" + std::to_string(n) + ",";
  std::istringstream in(rejects);
  for (std::string line; std::getline(in, line);)
    if (line.find(key) != std::string::npos) return line;
  return {};
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// Terminates, every `period`, the server processes of one application_name (an administrator
// killing a load's connections), once at least `wait_for` of them are up (the loader's set-up
// connection comes and goes first). Stops and joins when destroyed; terminated() counts the kills.
class BackendKiller {
 public:
  BackendKiller(std::string application_name, int wait_for, std::chrono::milliseconds period)
      : name_(std::move(application_name)), thread_([this, wait_for, period] { run(wait_for, period); }) {}
  ~BackendKiller() { stop(); }
  BackendKiller(const BackendKiller&) = delete;
  BackendKiller& operator=(const BackendKiller&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] int terminated() const { return terminated_; }

 private:
  void run(int wait_for, std::chrono::milliseconds period) {
    auto k = client::PgConnection::connect(admin_dsn());
    if (!k) {
      ADD_FAILURE() << k.error().to_string();
      return;
    }
    const std::string where = " FROM pg_stat_activity WHERE application_name = '" + name_ + "'";
    while (!stop_) {
      auto r = k->simple_query("SELECT count(*)" + where);
      if (r && std::stoi(*r->rows[0][0]) >= wait_for) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    while (!stop_) {
      auto r = k->simple_query("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))" + where);
      if (r) terminated_ += std::stoi(*r->rows[0][0]);
      std::this_thread::sleep_for(period);
    }
  }

  std::string name_;
  std::atomic<bool> stop_{false};
  std::atomic<int> terminated_{0};
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace pgstream::testing
