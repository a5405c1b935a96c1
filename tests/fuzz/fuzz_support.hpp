#pragma once
// Shared by the libFuzzer targets: reading the fuzzer's bytes, touching every byte a view
// claims to own (so ASan sees any read past a buffer), and invariant checks that abort like a
// crash, so a broken promise is a finding too.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "pgstream/result.hpp"

namespace pgstream::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

#define PGSTREAM_FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::pgstream::fuzz::fail(#cond, __FILE__, __LINE__))

// Reads every byte: the sum is stored through a volatile, so no load can be optimised away.
inline void touch(std::span<const std::byte> bytes) {
  static volatile unsigned sink;
  unsigned acc = 0;
  for (std::byte b : bytes) acc += static_cast<unsigned>(b);
  sink = sink + acc;
}
inline void touch(std::string_view s) { touch(std::as_bytes(std::span<const char>(s.data(), s.size()))); }

[[nodiscard]] inline std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}
[[nodiscard]] inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The fuzzer's input, consumed from the front: option bytes first, the payload after.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] std::uint8_t u8() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  [[nodiscard]] std::uint16_t u16() {
    const std::uint16_t hi = u8();
    return static_cast<std::uint16_t>((hi << 8) | u8());
  }
  [[nodiscard]] std::span<const std::byte> rest_bytes() const { return as_bytes(data_, size_); }
  [[nodiscard]] std::string_view rest_text() const { return as_text(data_, size_); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

// Every library error is one line a user can read: non-empty, no line break. Server errors are
// exempt: their message is the server's own text (even an empty one, from a server that leaves
// out the mandatory 'M' field).
inline void check_error(const Error& e) {
  const bool server = e.category() == ErrorCategory::server;
  const bool one_line = server || e.message().find_first_of("\r\n") == std::string::npos;
  const bool non_empty = server || !e.message().empty();
  if (!non_empty || !one_line) {
    std::fprintf(stderr, "error message: [%s] (category %s)\n", e.message().c_str(),
                 std::string(to_string(e.category())).c_str());
  }
  PGSTREAM_FUZZ_CHECK(non_empty);
  PGSTREAM_FUZZ_CHECK(one_line);
  touch(e.to_string());
}

// True when every "i=<digits>" in `text` is at most `max`. SCRAM's iteration count is the
// server's to choose (up to ScramClient::k_max_iterations); a fuzzer that picks ten million
// PBKDF2 rounds only measures wolfCrypt, so such inputs are skipped, not run.
[[nodiscard]] inline bool scram_iterations_at_most(std::string_view text, std::uint64_t max) {
  for (std::size_t at = text.find("i="); at != std::string_view::npos; at = text.find("i=", at + 1)) {
    std::size_t p = at + 2;
    while (p < text.size() && (text[p] == '+' || text[p] == '-' || text[p] == ' ' || text[p] == '0')) ++p;
    std::uint64_t v = 0;
    for (; p < text.size() && text[p] >= '0' && text[p] <= '9'; ++p) {
      v = v * 10 + static_cast<std::uint64_t>(text[p] - '0');
      if (v > max) return false;
    }
  }
  return true;
}

}  // namespace pgstream::fuzz
