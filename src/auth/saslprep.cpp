#include "pgstream/auth/saslprep.hpp"

#include <algorithm>
#include <span>

#include "pgstream/auth/nfkc.hpp"
#include "secure_memory.hpp"
#include "unicode_tables.hpp"

namespace pgstream::auth {
namespace {

bool in_table(char32_t c, std::span<const detail::CodeRange> table) {
  auto it = std::lower_bound(table.begin(), table.end(), c,
                             [](const detail::CodeRange& r, char32_t code) { return r.last < code; });
  return it != table.end() && it->first <= c;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool decode_utf8(std::string_view in, std::u32string& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    std::size_t len = 0;
    char32_t c = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      len = 1, c = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, c = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, c = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, c = b0 & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (in.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(in[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    out += c;
    i += len;
  }
  return true;
}

void encode_utf8(std::u32string_view in, std::string& out) {
  for (char32_t c : in) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
}

enum class Outcome { ok, invalid_utf8, empty, prohibited, bidi };

// Work buffers hold the password, so they are wiped whatever the outcome.
struct Buffers {
  std::u32string decoded;
  std::u32string normalized;
  ~Buffers() {
    detail::secure_zero(decoded);
    detail::secure_zero(normalized);
  }
};

Outcome prepare(std::string_view input, std::string& output) {
  Buffers b;
  b.decoded.reserve(input.size());
  if (!decode_utf8(input, b.decoded)) return Outcome::invalid_utf8;

  // Step 1, map (in place).
  std::size_t n = 0;
  for (char32_t c : b.decoded) {
    if (in_table(c, detail::non_ascii_space_ranges)) {
      b.decoded[n++] = U' ';
    } else if (!in_table(c, detail::mapped_to_nothing_ranges)) {
      b.decoded[n++] = c;
    }
  }
  const std::u32string_view mapped(b.decoded.data(), n);
  if (mapped.empty()) return Outcome::empty;

  // Step 2, normalise.
  b.normalized = nfkc_normalize(mapped);

  // Steps 3 and 4 on the mapped string, as Postgres does.
  for (char32_t c : mapped) {
    if (in_table(c, detail::prohibited_ranges) || in_table(c, detail::unassigned_ranges)) return Outcome::prohibited;
  }
  const bool has_rand_al = std::any_of(mapped.begin(), mapped.end(),
                                       [](char32_t c) { return in_table(c, detail::rand_al_cat_ranges); });
  if (has_rand_al) {
    const bool has_l = std::any_of(mapped.begin(), mapped.end(),
                                   [](char32_t c) { return in_table(c, detail::l_cat_ranges); });
    if (has_l || !in_table(mapped.front(), detail::rand_al_cat_ranges) ||
        !in_table(mapped.back(), detail::rand_al_cat_ranges)) {
      return Outcome::bidi;
    }
  }

  output.reserve(b.normalized.size() * 4);
  encode_utf8(b.normalized, output);
  return Outcome::ok;
}

}  // namespace

Result<std::string> saslprep(std::string_view input) {
  if (is_ascii(input)) return std::string(input);
  std::string output;
  switch (prepare(input, output)) {
    case Outcome::ok: return output;
    case Outcome::invalid_utf8: return make_error(ErrorCategory::auth, "SASLprep: the password is not valid UTF-8");
    case Outcome::empty:
      return make_error(ErrorCategory::auth, "SASLprep: the password is empty after removing ignorable characters");
    case Outcome::prohibited:
      return make_error(ErrorCategory::auth,
                        "SASLprep: the password contains a character stringprep prohibits or leaves unassigned");
    case Outcome::bidi:
      return make_error(ErrorCategory::auth,
                        "SASLprep: the password mixes right-to-left and left-to-right text in a way RFC 3454 forbids");
  }
  return make_error(ErrorCategory::auth, "SASLprep: unexpected outcome");
}

std::string scram_password(std::string_view password) {
  if (is_ascii(password)) return std::string(password);
  std::string output;
  if (prepare(password, output) == Outcome::ok) return output;
  detail::secure_zero(output);
  return std::string(password);
}

}  // namespace pgstream::auth
