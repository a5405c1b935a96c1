#pragma once
// Reading big-endian fields out of a received value (the inverse of byte_sink.hpp's put_be).
// Callers check the length first; these only load.

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace pgstream::protocol::wire {

template <std::integral T>
[[nodiscard]] inline T load_be(const std::byte* p) noexcept {
  using U = std::make_unsigned_t<T>;
  U u;
  std::memcpy(&u, p, sizeof(U));
  if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) u = std::byteswap(u);
  return static_cast<T>(u);
}

// A forward-only cursor over a value's bytes; every take_* is bounds-checked by the caller
// through remaining() so a malformed value never reads past its end.
class Cursor {
 public:
  explicit Cursor(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  template <std::integral T>
  [[nodiscard]] T take() noexcept {
    T v = load_be<T>(bytes_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  [[nodiscard]] std::span<const std::byte> take_bytes(std::size_t n) noexcept {
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace pgstream::protocol::wire
