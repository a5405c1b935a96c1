#pragma once
// Unicode data for SASLprep, generated into unicode_tables.cpp by tools/gen-unicode-tables.
// Every table is sorted by code point so lookups are binary searches.

#include <cstdint>
#include <span>

namespace pgstream::auth::detail {

struct CodeRange {
  char32_t first;
  char32_t last;  // inclusive
};

// The full NFKD expansion of `code` is decomposition_pool[offset, offset + length).
struct Decomposition {
  char32_t code;
  std::uint16_t offset;
  std::uint8_t length;
};

// `count` consecutive code points from `first` share the non-zero combining class `ccc`.
struct CombiningClassRun {
  char32_t first;
  std::uint16_t count;
  std::uint8_t ccc;
};

// A primary composite: `first` followed by `second` composes canonically to `composite`.
struct Composition {
  char32_t first;
  char32_t second;
  char32_t composite;
};

// RFC 3454 tables, as used by SASLprep (RFC 4013).
extern const std::span<const CodeRange> mapped_to_nothing_ranges;  // B.1
extern const std::span<const CodeRange> non_ascii_space_ranges;    // C.1.2
extern const std::span<const CodeRange> prohibited_ranges;         // C.1.2, C.2.1-C.9
extern const std::span<const CodeRange> unassigned_ranges;         // A.1
extern const std::span<const CodeRange> rand_al_cat_ranges;        // D.1
extern const std::span<const CodeRange> l_cat_ranges;              // D.2

// NFKC data from the Unicode Character Database (Hangul is algorithmic, not listed).
extern const std::span<const char32_t> decomposition_pool;
extern const std::span<const Decomposition> decompositions;         // sorted by code
extern const std::span<const CombiningClassRun> combining_classes;  // sorted by first
extern const std::span<const Composition> compositions;             // sorted by (first, second)

}  // namespace pgstream::auth::detail
