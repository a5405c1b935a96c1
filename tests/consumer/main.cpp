// Uses the installed headers and library: encodes a framed message into a buffer, checks the
// bytes, and builds an Error from the compiled part of the library.
#include <pgstream/protocol/byte_sink.hpp>
#include <pgstream/result.hpp>

#include <cstdio>
#include <string>

int main() {
  std::string buf;
  pgstream::protocol::put_u8(buf, 'Q');
  const std::size_t len_at = buf.size();
  pgstream::protocol::put_i32(buf, 0);
  pgstream::protocol::put_string(buf, "SELECT 1");
  pgstream::protocol::put_u8(buf, 0);
  pgstream::protocol::patch_i32(buf, len_at, static_cast<std::int32_t>(buf.size() - len_at));
  const std::string expected("Q\0\0\0\x0dSELECT 1\0", 14);
  pgstream::Error e(pgstream::ErrorCategory::config, "example");
  if (buf != expected || e.to_string() != "config: example") {
    std::puts("consumer: FAILED");
    return 1;
  }
  std::puts("consumer: ok");
  return 0;
}
