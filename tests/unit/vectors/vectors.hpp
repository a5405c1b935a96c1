#pragma once
// Test helpers: load captured frames (tests/unit/vectors/*.hex) and build hand-written ones.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/protocol/frame.hpp"

namespace pgstream::testing {

using Bytes = std::vector<std::byte>;

inline std::filesystem::path vectors_dir() {
  return std::filesystem::path(__FILE__).parent_path();
}

// The bytes of vectors/<name>.hex ('#' lines are comments; whitespace is ignored).
inline Bytes load_vector(std::string_view name) {
  const auto path = vectors_dir() / (std::string(name) + ".hex");
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open test vector " << path;
    return {};
  }
  std::string digits;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] == '#') continue;
    for (char c : line) {
      if (c != ' ' && c != '\t' && c != '\r') digits.push_back(c);
    }
  }
  Bytes out;
  if (digits.size() % 2 != 0) {
    ADD_FAILURE() << path << " has an odd number of hex digits";
    return out;
  }
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Body bytes from a string (use ""sv literals for embedded NULs).
inline Bytes bytes(std::string_view s) {
  Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

inline void append(Bytes& out, std::string_view s) {
  for (char c : s) out.push_back(static_cast<std::byte>(c));
}
inline void append_i16(Bytes& out, std::int16_t v) {
  const auto u = static_cast<std::uint16_t>(v);
  out.push_back(static_cast<std::byte>(u >> 8));
  out.push_back(static_cast<std::byte>(u & 0xff));
}
inline void append_i32(Bytes& out, std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::byte>((u >> shift) & 0xff));
}

// A whole frame: type, length (body + 4), body.
inline Bytes make_frame(char type, const Bytes& body) {
  Bytes out;
  out.push_back(static_cast<std::byte>(type));
  append_i32(out, static_cast<std::int32_t>(body.size() + 4));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
inline Bytes make_frame(char type, std::string_view body) { return make_frame(type, bytes(body)); }

// The one frame that `data` must hold exactly (a view into `data`).
inline protocol::Frame frame_of(const Bytes& data) {
  const protocol::FrameResult r = protocol::next_frame(data);
  EXPECT_EQ(r.status, protocol::FrameStatus::complete);
  EXPECT_EQ(r.consumed(), data.size()) << "the vector holds more than one frame";
  return r.frame;
}

inline std::string hex(std::span<const std::byte> b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::byte x : b) {
    out.push_back(digits[std::to_integer<unsigned>(x) >> 4]);
    out.push_back(digits[std::to_integer<unsigned>(x) & 0xf]);
  }
  return out;
}

}  // namespace pgstream::testing
