#pragma once
// Unicode Normalization Form KC (UAX #15), the normalisation step of SASLprep. The data are
// Unicode 15.0 (Debian's unicode-data), like the Postgres releases that ship Unicode 15 tables.

#include <string>
#include <string_view>

namespace pgstream::auth {

// `text` must hold Unicode scalar values (no surrogates, nothing above U+10FFFF); other values
// pass through unchanged. Allocates the result.
[[nodiscard]] std::u32string nfkc_normalize(std::u32string_view text);

}  // namespace pgstream::auth
