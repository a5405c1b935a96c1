#pragma once
// Shared by the backend message views: big-endian loads, C-string scanning, error builders.
// Not a public API; the views validate every length before using these.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <expected>
#include <iterator>
#include <span>
#include <string_view>

#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol::detail {

[[nodiscard]] inline std::uint16_t load_u16(const std::byte* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  if constexpr (std::endian::native == std::endian::little) v = std::byteswap(v);
  return v;
}
[[nodiscard]] inline std::int16_t load_i16(const std::byte* p) noexcept {
  return static_cast<std::int16_t>(load_u16(p));
}
[[nodiscard]] inline std::int32_t load_i32(const std::byte* p) noexcept {
  return static_cast<std::int32_t>(load_u32(p));
}

[[nodiscard]] inline std::string_view chars(const std::byte* p, std::size_t n) noexcept {
  return {reinterpret_cast<const char*>(p), n};
}

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

// Index of the NUL that ends the C string starting at `pos`, or npos when there is none.
[[nodiscard]] inline std::size_t find_nul(std::span<const std::byte> b, std::size_t pos) noexcept {
  if (pos >= b.size()) return npos;
  const void* hit = std::memchr(b.data() + pos, 0, b.size() - pos);
  return hit ? static_cast<std::size_t>(static_cast<const std::byte*>(hit) - b.data()) : npos;
}

// Length of a C string already known to be terminated inside its body.
[[nodiscard]] inline std::size_t cstr_len(const std::byte* p) noexcept {
  return std::strlen(reinterpret_cast<const char*>(p));
}

// "server sent a malformed DataRow message: <what>" (ErrorCategory::protocol).
[[nodiscard, gnu::cold]] std::unexpected<Error> malformed(char type, std::string_view what);
// "... DataRow message: field 3 <what>".
[[nodiscard, gnu::cold]] std::unexpected<Error> malformed_item(char type, std::string_view item,
                                                               std::size_t index, std::string_view what);
// A view's parse() was handed a frame of another type: a caller bug, reported not trusted.
[[nodiscard, gnu::cold]] std::unexpected<Error> wrong_type(std::string_view expected, char got);

// Consecutive NUL-terminated strings filling [first, last) exactly (validated by the owner).
class CStringRange {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const std::byte* p) noexcept : p_(p) {}
    [[nodiscard]] std::string_view operator*() const noexcept { return chars(p_, cstr_len(p_)); }
    iterator& operator++() noexcept {
      p_ += cstr_len(p_) + 1;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++*this;
      return old;
    }
    [[nodiscard]] bool operator==(const iterator&) const noexcept = default;

   private:
    const std::byte* p_ = nullptr;
  };

  CStringRange() = default;
  CStringRange(const std::byte* first, const std::byte* last) noexcept : first_(first), last_(last) {}
  [[nodiscard]] iterator begin() const noexcept { return iterator(first_); }
  [[nodiscard]] iterator end() const noexcept { return iterator(last_); }
  [[nodiscard]] bool empty() const noexcept { return first_ == last_; }

 private:
  const std::byte* first_ = nullptr;
  const std::byte* last_ = nullptr;
};

}  // namespace pgstream::protocol::detail
