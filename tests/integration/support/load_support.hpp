#pragma once
// What the load integration tests share: the admin connection to the scratch server, a private
// temporary directory per test, and reading the rejects file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

}  // namespace pgstream::testing
