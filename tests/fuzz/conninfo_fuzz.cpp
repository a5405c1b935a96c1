// Connection strings and URIs: parse_conninfo, then resolve() with a fixed environment, the
// endpoints, and the password-file key of each.
//
// Invariants besides "no crash":
// - a parsed ConnInfo printed with to_string_redacted() parses back to itself, passwords aside;
// - the password never leaks: when the input gives the password "SECRETxyz" (password= or
//   sslpassword= in keyword/value or URI-query form, or user:SECRETxyz@ in a URI) and the
//   marker appears nowhere else, no error message, and no redacted string, contains it. The
//   environment's PGPASSWORD ("ENVSECRET7") must not leak either.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "pgstream/client/conninfo.hpp"
#include "pgstream/client/pgpass.hpp"

namespace {

namespace pf = pgstream::fuzz;
namespace pc = pgstream::client;

constexpr std::string_view kSecret = "SECRETxyz";
constexpr std::string_view kEnvSecret = "ENVSECRET7";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_uri(std::string_view s) { return s.starts_with("postgresql://") || s.starts_with("postgres://"); }

// The keyword whose '=' is at s[eq], if it is a whole token starting at `boundary` characters.
std::string_view keyword_before(std::string_view s, std::size_t eq, std::string_view boundary) {
  std::size_t start = eq;
  while (start > 0 && boundary.find(s[start - 1]) == std::string_view::npos) --start;
  return s.substr(start, eq - start);
}

// True when every occurrence of the marker is exactly a password value, so that any echo of it
// is a leak and not the echo of some other value that happens to contain it. Escapes (\ in
// keyword/value, % in URIs) and quotes are excluded, since they can hide or build the marker.
bool marker_only_in_password_positions(std::string_view s) {
  if (s.find(kSecret) == std::string_view::npos) return false;
  const bool uri = is_uri(s);
  if (uri ? s.find('%') != std::string_view::npos : s.find_first_of("'\\") != std::string_view::npos) return false;
  for (std::size_t at = s.find(kSecret); at != std::string_view::npos; at = s.find(kSecret, at + 1)) {
    const std::size_t end = at + kSecret.size();
    if (at == 0) return false;
    if (uri) {
      if (s[at - 1] == '=') {
        const std::string_view kw = keyword_before(s, at - 1, "?&");
        const std::size_t kw_start = at - 1 - kw.size();
        if ((kw != "password" && kw != "sslpassword") || kw_start == 0 || s.substr(0, kw_start).find('?') == std::string_view::npos)
          return false;
        if (end != s.size() && s[end] != '&') return false;
      } else if (s[at - 1] == ':') {
        // userinfo: scheme://user:SECRETxyz@host, with a plain user name.
        const std::size_t scheme_end = s.find("://") + 3;
        const std::string_view user = s.substr(scheme_end, at - 1 - scheme_end);
        if (user.find_first_of("/?#@[]:") != std::string_view::npos) return false;
        if (end == s.size() || s[end] != '@') return false;
      } else {
        return false;
      }
    } else {
      if (s[at - 1] != '=') return false;
      std::size_t kw_end = at - 1;
      const std::string_view kw = keyword_before(s, kw_end, " \t\n\r\f\v");
      if (kw != "password" && kw != "sslpassword") return false;
      // The keyword must start a setting: not be the value of the previous one ("port= password=...").
      std::size_t p = kw_end - kw.size();
      while (p > 0 && is_space(s[p - 1])) --p;
      if (p > 0 && s[p - 1] == '=') return false;
      if (end != s.size() && !is_space(s[end])) return false;
    }
  }
  return true;
}

void check_no_leak(std::string_view text, bool secret_is_password) {
  if (secret_is_password) PGSTREAM_FUZZ_CHECK(text.find(kSecret) == std::string_view::npos);
  PGSTREAM_FUZZ_CHECK(text.find(kEnvSecret) == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = pf::as_text(data, size);
  const bool secret = marker_only_in_password_positions(text);

  auto parsed = pc::parse_conninfo(text);
  if (!parsed) {
    pf::check_error(parsed.error());
    check_no_leak(parsed.error().message(), secret);
    return 0;
  }

  // Redacted, then parsed again: the same settings, with both passwords starred.
  const std::string redacted = parsed->to_string_redacted();
  check_no_leak(redacted, secret);
  auto reparsed = pc::parse_conninfo(redacted);
  if (!reparsed) {
    std::fprintf(stderr, "redacted: %s\nerror: %s\n", redacted.c_str(), reparsed.error().message().c_str());
  }
  PGSTREAM_FUZZ_CHECK(reparsed.has_value());
  pc::ConnInfo expected = *parsed;
  if (expected.password) expected.password = "********";
  if (expected.sslpassword) expected.sslpassword = "********";
  PGSTREAM_FUZZ_CHECK(*reparsed == expected);

  pc::FixedEnvironment env;
  env.vars = {{"PGPASSWORD", std::string(kEnvSecret)}, {"PGHOST", "envhost"}, {"PGAPPNAME", "fuzzapp"}};
  env.user = "fuzzer";
  env.home = "/home/fuzzer";
  auto resolved = pc::resolve(*parsed, env);
  if (!resolved) {
    pf::check_error(resolved.error());
    check_no_leak(resolved.error().message(), secret);
    return 0;
  }
  check_no_leak(resolved->to_string_redacted(), secret);
  pf::touch(resolved->effective_application_name().value_or(""));

  auto endpoints = pc::make_endpoints(*resolved, size);
  if (!endpoints) {
    pf::check_error(endpoints.error());
    check_no_leak(endpoints.error().message(), secret);
    return 0;
  }
  PGSTREAM_FUZZ_CHECK(!endpoints->empty());
  for (const pc::Endpoint& ep : *endpoints) {
    if (ep.kind == pc::EndpointKind::unix_socket) pf::touch(ep.unix_socket_path());
    pf::touch(ep.address());
    const pc::PgpassKey key = pc::pgpass_key(*resolved, ep);
    pf::touch(key.host);
    pf::touch(key.port);
  }
  return 0;
}
