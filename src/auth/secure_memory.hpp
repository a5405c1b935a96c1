#pragma once
// Wiping and comparing secrets. Both go through wolfSSL so the compiler cannot elide the wipe
// nor turn the comparison into an early-exit memcmp.

#include <cstddef>
#include <span>
#include <string>

namespace pgstream::auth::detail {

void secure_zero(void* data, std::size_t size) noexcept;

inline void secure_zero(std::span<std::byte> bytes) noexcept { secure_zero(bytes.data(), bytes.size()); }

// Wipes the whole capacity too: a shrunk string keeps old secret bytes past size().
inline void secure_zero(std::string& s) noexcept {
  s.resize(s.capacity());
  secure_zero(s.data(), s.size());
  s.clear();
}

inline void secure_zero(std::u32string& s) noexcept {
  s.resize(s.capacity());
  secure_zero(s.data(), s.size() * sizeof(char32_t));
  s.clear();
}

// Constant-time in the contents (not the length, which is public for every use here).
[[nodiscard]] bool constant_time_equal(std::span<const std::byte> a, std::span<const std::byte> b) noexcept;

}  // namespace pgstream::auth::detail
