#include "support/hostile_scenarios.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <thread>

namespace pgstream::testing::hostile {

using namespace std::chrono_literals;

long rss_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

FakeServer::Script answer_query(std::string answer) {
  return [answer](FakeConnection& c) {
    if (!c.accept_session()) return ADD_FAILURE() << "no StartupMessage";
    if (!c.read_query()) return ADD_FAILURE() << "no Query";
    c.send(answer);
    if (auto q = c.read_query()) c.send(fake::query_result({"n"}, {{"2"}}, "SELECT 1"));
    (void)c.wait_for_close(3s);
  };
}

// ---- frames split at every byte boundary ----

std::vector<Row> split_rows() { return {{"1", std::nullopt}, {"", "two"}, {"3", "33"}}; }

FakeServer::Script split_every_byte() {
  const std::string answer = fake::notice_response("before") + fake::parameter_status("application_name", "x") +
                             fake::query_result({"a", "b"}, split_rows(), "SELECT 3");
  return [answer](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send_in_pieces(fake::auth_ok() + fake::session_ready(), 1, 150us);
    if (!c.read_query()) return ADD_FAILURE() << "no Query";
    c.send_in_pieces(answer, 1, 150us);
    (void)c.wait_for_close(3s);
  };
}

namespace {

std::string two_piece_startup() { return fake::auth_ok() + fake::session_ready(); }
std::string two_piece_answer() {
  return fake::notice_response("n") + fake::query_result({"a"}, {{"1"}, {std::nullopt}}, "SELECT 2");
}

void send_in_two(FakeConnection& c, const std::string& bytes, std::size_t k) {
  k = 1 + (k - 1) % (bytes.size() - 1);  // 1 .. size-1
  c.send(bytes.substr(0, k));
  std::this_thread::sleep_for(1ms);
  c.send(bytes.substr(k));
}

}  // namespace

std::size_t two_piece_splits() { return std::max(two_piece_startup().size(), two_piece_answer().size()); }

FakeServer::Script split_in_two_at(std::size_t k) {
  return [k](FakeConnection& c) {
    if (!c.read_startup()) return;
    send_in_two(c, two_piece_startup(), k);
    if (!c.read_query()) return;
    send_in_two(c, two_piece_answer(), k);
    (void)c.wait_for_close(3s);
  };
}

std::vector<Row> big_rows(std::size_t big_size, int count) {
  const std::string big(big_size, 'x');
  std::vector<Row> rows;
  for (int i = 0; i < count; ++i) {
    rows.push_back({std::to_string(i)});
    rows.push_back({big + std::to_string(i)});
  }
  return rows;
}

FakeServer::Script rows_in_pieces(std::vector<Row> rows, std::size_t piece, std::chrono::microseconds pause) {
  const std::string answer = fake::query_result({"v"}, rows, "SELECT " + std::to_string(rows.size()));
  return [answer, piece, pause](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return ADD_FAILURE() << "no Query";
    c.send_in_pieces(answer, piece, pause);
    (void)c.wait_for_close(3s);
  };
}

// ---- length fields that lie ----

std::vector<std::uint32_t> lying_lengths() { return {0u, 3u, 0x7fffffffu, 0x80000000u, 0xffffffffu}; }

std::string lying_data_row_length(std::uint32_t length) {
  return fake::row_description({"a"}) + fake::header('D', length) + std::string(64, 'x');
}

std::string data_row_header_only(std::uint32_t length) { return fake::header('D', length); }

FakeServer::Script announced_gigabyte() {
  return [](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return ADD_FAILURE() << "no Query";
    c.send(fake::header('D', 1u << 30) + std::string(1 << 20, 'x'));
    c.close();
  };
}

// ---- a DataRow that lies ----

void PrintTo(const LyingRow& r, std::ostream* os) { *os << r.name; }

std::vector<LyingRow> lying_rows() {
  return {LyingRow{"count_too_high", std::string("\x00\x05", 2) + fake::be32(2) + "ab"},
          LyingRow{"count_too_low", std::string("\x00\x01", 2) + fake::be32(1) + "a" + fake::be32(1) + "b"},
          LyingRow{"field_longer_than_body", std::string("\x00\x01", 2) + fake::be32(100) + "abc"},
          LyingRow{"field_length_huge", std::string("\x00\x01", 2) + fake::be32(0x7fffffff) + "abc"},
          LyingRow{"field_length_minus_2", std::string("\x00\x01", 2) + fake::be32(-2)},
          LyingRow{"length_cut_off", std::string("\x00\x01\x00\x00", 4)},
          LyingRow{"empty_body", std::string()}};
}

std::string answer_with_lying_row(const std::string& body) {
  return fake::row_description({"a"}) + fake::frame('D', body) + fake::data_row({"ok"}) +
         fake::command_complete("SELECT 2") + fake::ready_for_query();
}

std::string data_row_frame_too_short() {
  const std::string field = fake::be32(3) + "abc";
  return fake::row_description({"a"}) + fake::header('D', 6) + std::string("\x00\x01", 2) + field +
         fake::command_complete("SELECT 1") + fake::ready_for_query();
}

// ---- an ErrorResponse with no terminator ----

std::string unterminated_error() { return std::string("SERROR\0VERROR\0C42000\0Mno end", 28); }

FakeServer::Script unterminated_error_during_startup() {
  return [](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send(fake::frame('E', unterminated_error()));
    (void)c.wait_for_close(3s);
  };
}

// ---- floods ----

namespace {

std::string notices(int n) {
  std::string b;
  for (int i = 0; i < n; ++i) b += fake::notice_response("hostile notice");
  return b;
}

// Batches of ParameterStatus frames whose names never repeat. One buffer is built once and
// only its digits are rewritten per batch: the flood itself must not allocate, or the garbage it
// leaves (kept by ASan's quarantine) counts against the client's memory bound in the same process.
class ParameterFlood {
 public:
  static constexpr int kPerBatch = 1000;
  static constexpr std::size_t kDigits = 10;

  ParameterFlood() {
    for (int i = 0; i < kPerBatch; ++i) batch_ += fake::parameter_status("flood_" + std::string(kDigits, '0'), "v");
    frame_size_ = batch_.size() / kPerBatch;
  }

  // The batch naming parameters first .. first + kPerBatch - 1.
  const std::string& batch(std::uint64_t first) {
    constexpr std::size_t kDigitsAt = 1 + 4 + 6;  // type, length, "flood_"
    for (int i = 0; i < kPerBatch; ++i) {
      std::uint64_t n = first + static_cast<std::uint64_t>(i);
      char* digit = batch_.data() + static_cast<std::size_t>(i) * frame_size_ + kDigitsAt + kDigits;
      for (std::size_t d = 0; d < kDigits; ++d, n /= 10) *--digit = static_cast<char>('0' + n % 10);
    }
    return batch_;
  }

 private:
  std::string batch_;
  std::size_t frame_size_ = 0;
};

}  // namespace

FakeServer::Script notice_flood_after_query(std::size_t& sent) {
  return [&sent](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return;
    const std::string batch = notices(50);
    while (!c.stopping() && c.send(batch)) sent += 50;
  };
}

FakeServer::Script notice_flood_during_startup(std::size_t& sent) {
  return [&sent](FakeConnection& c) {
    if (!c.read_startup()) return;
    const std::string batch = notices(50);
    while (!c.stopping() && c.send(batch)) sent += 50;
  };
}

FakeServer::Script parameter_flood_during_startup() {
  return [](FakeConnection& c) {
    if (!c.read_startup()) return;
    ParameterFlood flood;
    for (std::uint64_t i = 0; !c.stopping() && c.send(flood.batch(i)); i += ParameterFlood::kPerBatch) {
    }
  };
}

FakeServer::Script parameter_flood_after_query(std::size_t& sent) {
  return [&sent](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return;
    ParameterFlood flood;
    for (std::uint64_t i = 0; !c.stopping() && c.send(flood.batch(i)); i += ParameterFlood::kPerBatch) {
      sent += ParameterFlood::kPerBatch;
    }
  };
}

// ---- silence and hang-ups ----

FakeServer::Script silent_after_query() {
  return [](FakeConnection& c) {
    if (!c.accept_session()) return;
    (void)c.read_query();  // and then nothing
  };
}

FakeServer::Script silent_after_startup() {
  return [](FakeConnection& c) { (void)c.read_startup(); };
}

FakeServer::Script close_mid_row() {
  return [](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return;
    const std::string row = fake::data_row({"abcdef"});
    c.send(fake::row_description({"a"}) + row.substr(0, row.size() - 3));
    c.close();
  };
}

// ---- the cancel ----

FakeServer::Script cancel_reader(CancelSeen& seen) {
  return [&seen](FakeConnection& c) {
    seen.packet = c.read_startup();
    c.close();  // as a server does once it has read a CancelRequest
  };
}

void expect_cancel_for_the_session(const CancelSeen& seen) {
  ASSERT_TRUE(seen.packet) << "no CancelRequest arrived";
  EXPECT_EQ(seen.packet->code, kCancelRequestCode);
  EXPECT_EQ(seen.packet->rest, fake::be32(4242) + "\x01\x02\x03\x04");
}

// ---- SSLRequest ----

FakeServer::Script ssl_answer(std::string bytes) {
  return [bytes](FakeConnection& c) {
    auto p = c.read_startup();
    EXPECT_TRUE(p && p->code == kSslRequestCode);
    c.send(bytes);
    (void)c.wait_for_close(3s);
  };
}

}  // namespace pgstream::testing::hostile
