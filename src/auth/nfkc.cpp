#include "pgstream/auth/nfkc.hpp"

#include <algorithm>
#include <cstdint>

#include "unicode_tables.hpp"

namespace pgstream::auth {
namespace {

// Hangul syllables decompose and compose by arithmetic (Unicode chapter 3.12).
constexpr char32_t k_s_base = 0xAC00, k_l_base = 0x1100, k_v_base = 0x1161, k_t_base = 0x11A7;
constexpr char32_t k_l_count = 19, k_v_count = 21, k_t_count = 28;
constexpr char32_t k_n_count = k_v_count * k_t_count, k_s_count = k_l_count * k_n_count;

std::uint8_t combining_class(char32_t c) {
  const auto& runs = detail::combining_classes;
  auto it = std::upper_bound(runs.begin(), runs.end(), c,
                             [](char32_t code, const detail::CombiningClassRun& r) { return code < r.first; });
  if (it == runs.begin()) return 0;
  --it;
  return c - it->first < it->count ? it->ccc : 0;
}

void decompose_into(char32_t c, std::u32string& out) {
  if (c >= k_s_base && c < k_s_base + k_s_count) {
    const char32_t s = c - k_s_base;
    out += k_l_base + s / k_n_count;
    out += k_v_base + (s % k_n_count) / k_t_count;
    if (s % k_t_count != 0) out += k_t_base + s % k_t_count;
    return;
  }
  const auto& table = detail::decompositions;
  auto it = std::lower_bound(table.begin(), table.end(), c,
                             [](const detail::Decomposition& d, char32_t code) { return d.code < code; });
  if (it != table.end() && it->code == c) {
    out.append(&detail::decomposition_pool[it->offset], it->length);
  } else {
    out += c;
  }
}

// The primary composite of `first` + `second`, or 0 when there is none.
char32_t compose(char32_t first, char32_t second) {
  if (first >= k_l_base && first < k_l_base + k_l_count && second >= k_v_base && second < k_v_base + k_v_count) {
    return k_s_base + ((first - k_l_base) * k_v_count + (second - k_v_base)) * k_t_count;
  }
  if (first >= k_s_base && first < k_s_base + k_s_count && (first - k_s_base) % k_t_count == 0 &&
      second > k_t_base && second < k_t_base + k_t_count) {
    return first + (second - k_t_base);
  }
  const auto& table = detail::compositions;
  auto it = std::lower_bound(table.begin(), table.end(), std::pair{first, second},
                             [](const detail::Composition& p, std::pair<char32_t, char32_t> key) {
                               return p.first != key.first ? p.first < key.first : p.second < key.second;
                             });
  if (it != table.end() && it->first == first && it->second == second) return it->composite;
  return 0;
}

}  // namespace

std::u32string nfkc_normalize(std::u32string_view text) {
  std::u32string s;
  s.reserve(text.size());
  for (char32_t c : text) decompose_into(c, s);

  // Canonical ordering: a stable insertion sort of each run of non-starters by class.
  for (std::size_t i = 1; i < s.size(); ++i) {
    const std::uint8_t cc = combining_class(s[i]);
    if (cc == 0) continue;
    for (std::size_t j = i; j > 0; --j) {
      const std::uint8_t prev = combining_class(s[j - 1]);
      if (prev == 0 || prev <= cc) break;
      std::swap(s[j - 1], s[j]);
    }
  }

  // Canonical composition: a character joins the last starter unless something in between
  // blocks it (a starter, or a mark of the same or higher class).
  if (s.empty()) return s;
  std::size_t starter = 0;
  bool have_starter = combining_class(s[0]) == 0;
  int last_class = have_starter ? 0 : 256;
  std::size_t out = 1;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char32_t c = s[i];
    const int cc = combining_class(c);
    const bool adjacent_to_starter = have_starter && out == starter + 1;
    if (have_starter && (adjacent_to_starter || (last_class != 0 && last_class < cc))) {
      if (const char32_t composite = compose(s[starter], c); composite != 0) {
        s[starter] = composite;
        continue;
      }
    }
    if (cc == 0) {
      starter = out;
      have_starter = true;
    }
    last_class = cc;
    s[out++] = c;
  }
  s.resize(out);
  return s;
}

}  // namespace pgstream::auth
