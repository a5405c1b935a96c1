#include <gtest/gtest.h>

#include "pgstream/auth/nfkc.hpp"
#include "pgstream/auth/saslprep.hpp"

namespace pgstream::auth {
namespace {

std::string prep(std::string_view in) {
  auto r = saslprep(in);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
  return r ? *r : "<error>";
}

void expect_rejected(std::string_view in) {
  auto r = saslprep(in);
  ASSERT_FALSE(r.has_value()) << "accepted: " << *r;
  EXPECT_EQ(r.error().category(), ErrorCategory::auth);
  // libpq's fallback: the raw bytes, unchanged.
  EXPECT_EQ(scram_password(in), std::string(in));
}

// RFC 4013 section 3.
TEST(Saslprep, Rfc4013Examples) {
  EXPECT_EQ(prep("I\u00ADX"), "IX");       // 1: SOFT HYPHEN mapped to nothing
  EXPECT_EQ(prep("user"), "user");         // 2: no transformation
  EXPECT_EQ(prep("USER"), "USER");         // 3: case preserved
  EXPECT_EQ(prep("\u00AA"), "a");          // 4: output is NFKC, input in ISO 8859-1
  EXPECT_EQ(prep("\u2168"), "IX");         // 5: output is NFKC, will match 1
  // 6 ("\x07", prohibited) is pure ASCII, which Postgres does not prepare: see below.
  expect_rejected("\u0627\x31");           // 7: error - bidirectional check
}

// Example 6 is ASCII, which Postgres passes through untouched (pure-ASCII fast path); the RFC
// would reject it. We follow Postgres so verifiers match.
TEST(Saslprep, AsciiIsPassedThroughEvenWithControlCharacters) {
  EXPECT_EQ(prep("\x07"), "\x07");
  EXPECT_EQ(prep("pa ss\tword"), "pa ss\tword");
  EXPECT_EQ(prep(""), "");
}

TEST(Saslprep, BidiExampleIsRejectedOnceNonAscii) {
  expect_rejected("\u0627\x31");
  EXPECT_EQ(prep("\u0627\x31\u0628"), "\u0627\x31\u0628");  // RandALCat first and last: fine
  expect_rejected("\u05D0a\u05D1");                         // RandALCat mixed with LCat
}

TEST(Saslprep, MapsNonAsciiSpacesToSpace) {
  EXPECT_EQ(prep("a\u00A0b\u3000c\u2003d"), "a b c d");
  EXPECT_EQ(prep("x\u200By"), "x y");  // ZERO WIDTH SPACE is in C.1.2 too, which wins
}

TEST(Saslprep, RemovesCommonlyMappedToNothing) {
  EXPECT_EQ(prep("a\u200Db\uFEFFc\uFE0F\u00AD"), "abc");
}

TEST(Saslprep, AppliesNfkc) {
  EXPECT_EQ(prep("e\u0301"), "\u00E9");        // decomposed e + combining acute composes
  EXPECT_EQ(prep("\u00E9"), "\u00E9");         // precomposed stays
  EXPECT_EQ(prep("\uFB01x"), "fix");           // LATIN SMALL LIGATURE FI
  EXPECT_EQ(prep("\uFF21\uFF22"), "AB");       // fullwidth
  EXPECT_EQ(prep("\u1100\u1161\u11A8"), "\uAC01");  // Hangul jamo compose algorithmically
}

TEST(Saslprep, InvalidUtf8FallsBackToRawBytes) {
  for (std::string_view bad : {std::string_view("\xFF\xFE"), std::string_view("a\xC3"),
                               std::string_view("\xC0\xAF"),             // overlong '/'
                               std::string_view("\xED\xA0\x80"),         // surrogate U+D800
                               std::string_view("\xF4\x90\x80\x80")}) {  // above U+10FFFF
    auto r = saslprep(bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message(), "SASLprep: the password is not valid UTF-8");
    EXPECT_EQ(scram_password(bad), std::string(bad));
  }
}

TEST(Saslprep, ProhibitedCharactersFallBackToRawPassword) {
  expect_rejected("pass\uE000word");  // private use (C.3)
  expect_rejected("a\u2FF0");         // ideographic description (C.7)
  expect_rejected("a\u200E");         // LEFT-TO-RIGHT MARK (C.8)
  expect_rejected("\u00E9\x7F");      // DEL (C.2.1) with a non-ASCII character
  expect_rejected("a\u0221");         // unassigned in Unicode 3.2 (A.1)
}

// Postgres checks the mapped string, not the normalised one: U+0340 (C.8) would become
// U+0300 under NFKC, but the password is still rejected.
TEST(Saslprep, ProhibitionIsCheckedBeforeNormalisationLikePostgres) {
  expect_rejected("a\u0340");
}

TEST(Saslprep, PasswordOfOnlyIgnorableCharactersFallsBack) {
  expect_rejected("\u00AD\u200D");
  EXPECT_EQ(scram_password("\u00AD"), "\u00AD");
}

TEST(Saslprep, ScramPasswordUsesPreparedFormWhenValid) {
  EXPECT_EQ(scram_password("\u2168"), "IX");
  EXPECT_EQ(scram_password("pencil"), "pencil");
}

TEST(Nfkc, DecomposesCompatibilityAndComposesCanonically) {
  EXPECT_EQ(nfkc_normalize(U"\u2168"), U"IX");
  EXPECT_EQ(nfkc_normalize(U"\u00AA"), U"a");
  EXPECT_EQ(nfkc_normalize(U"e\u0301"), U"\u00E9");
  EXPECT_EQ(nfkc_normalize(U"\u00E9"), U"\u00E9");
  EXPECT_EQ(nfkc_normalize(U"\uFDFA").size(), 18U);  // the longest expansion there is
}

TEST(Nfkc, ReordersMarksByCombiningClass) {
  // dot below (220) sorts before dot above (230), then both compose onto d / the result.
  EXPECT_EQ(nfkc_normalize(U"d\u0307\u0323"), U"\u1E0D\u0307");
  EXPECT_EQ(nfkc_normalize(U"\u1E0B\u0323"), U"\u1E0D\u0307");
}

TEST(Nfkc, RespectsCompositionExclusionsAndSingletons) {
  EXPECT_EQ(nfkc_normalize(U"\u0958"), U"\u0915\u093C");  // excluded from composition
  EXPECT_EQ(nfkc_normalize(U"\u212B"), U"\u00C5");        // ANGSTROM SIGN singleton
  EXPECT_EQ(nfkc_normalize(U"\u0340"), U"\u0300");
}

TEST(Nfkc, BlockedMarksDoNotCompose) {
  // OVERLINE (230, no composite with a) blocks the acute (230) from reaching the a.
  EXPECT_EQ(nfkc_normalize(U"a\u0305\u0301"), U"a\u0305\u0301");
  // A lower-class mark (overlay, 1) does not block it.
  EXPECT_EQ(nfkc_normalize(U"a\u0335\u0301"), U"\u00E1\u0335");
  // Nor does a mark reach back across another starter.
  EXPECT_EQ(nfkc_normalize(U"ab\u0301"), U"ab\u0301");
}

TEST(Nfkc, HangulRoundTrips) {
  EXPECT_EQ(nfkc_normalize(U"\uD4DB"), U"\uD4DB");
  EXPECT_EQ(nfkc_normalize(U"\u1111\u1171\u11B6"), U"\uD4DB");
  EXPECT_EQ(nfkc_normalize(U"\uAC00\u11A8"), U"\uAC01");  // LV + T
}

}  // namespace
}  // namespace pgstream::auth
