#pragma once
// SASLprep (RFC 4013, a stringprep profile of RFC 3454) of a SCRAM password, the way Postgres
// does it (src/common/saslprep.c), so the bytes we feed PBKDF2 match what the server used when
// the password was set.

#include <string>
#include <string_view>

#include "pgstream/result.hpp"

namespace pgstream::auth {

// Strict SASLprep. Follows Postgres rather than the letter of the RFC where they differ:
//  - a pure-ASCII input is returned unchanged (even ASCII control characters, which the RFC
//    prohibits);
//  - mapping: non-ASCII spaces (C.1.2) become U+0020, "commonly mapped to nothing" (B.1) is
//    dropped, and an input that maps to nothing at all is rejected;
//  - normalisation: NFKC;
//  - the prohibited (C.1.2, C.2.1, C.2.2, C.3-C.9), unassigned (A.1) and bidi (RFC 3454
//    section 6: D.1/D.2) checks look at the mapped string before normalisation, as Postgres
//    does, so e.g. U+0340 is rejected although NFKC would turn it into U+0300.
// Errors (ErrorCategory::auth): the input is not valid UTF-8, or it breaks one of the rules.
// The messages never include the password.
[[nodiscard]] Result<std::string> saslprep(std::string_view input);

// The bytes SCRAM should use for `password`, exactly as libpq chooses them: the SASLprep result
// when that succeeds, otherwise (not valid UTF-8, or a prohibited character) the raw password
// bytes unchanged. Postgres does the same on the server when it stores a verifier, so such
// passwords still work. Never fails.
[[nodiscard]] std::string scram_password(std::string_view password);

}  // namespace pgstream::auth
