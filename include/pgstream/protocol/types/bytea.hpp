#pragma once
// bytea as a view of bytes. The binary form is the bytes themselves. A decoded Bytea views the
// received frame: valid while the frame is; copy it (to_vector) to keep it. An owned value to
// bind is a std::vector<std::byte>.

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

namespace pgstream::protocol {

struct Bytea {
  std::span<const std::byte> bytes;

  [[nodiscard]] std::vector<std::byte> to_vector() const { return {bytes.begin(), bytes.end()}; }
  friend bool operator==(const Bytea& a, const Bytea& b) noexcept {
    return std::ranges::equal(a.bytes, b.bytes);
  }
};

}  // namespace pgstream::protocol
