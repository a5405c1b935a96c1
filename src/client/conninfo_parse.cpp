// Keyword/value strings. URIs are in conninfo_uri.cpp.
#include <string>

#include "conninfo_keywords.hpp"

namespace pgstream::client {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string quoted(std::string_view s) { return detail::quote_for_message(s); }

// A password written without quotes around a space splits into "password=abc" and "def...":
// the token right after a secret value is likely part of it, so errors about that token must
// not echo it.
std::string describe_token(std::string_view token, std::string_view after_secret) {
  if (!after_secret.empty()) {
    return "the text after the value of \"" + std::string(after_secret) +
           "\" (quote values that contain spaces: " + std::string(after_secret) + "='...')";
  }
  return quoted(token);
}

Result<ConnInfo> parse_keyword_value(std::string_view s) {
  ConnInfo ci;
  std::size_t i = 0;
  std::string_view after_secret;  // keyword of the previous setting when it was a secret
  while (true) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i == s.size()) break;

    std::size_t kw_start = i;
    while (i < s.size() && !is_space(s[i]) && s[i] != '=') ++i;
    std::string_view keyword = s.substr(kw_start, i - kw_start);
    while (i < s.size() && is_space(s[i])) ++i;
    if (i == s.size() || s[i] != '=') {
      return make_error(ErrorCategory::config,
                        "missing \"=\" after " + describe_token(keyword, after_secret) + " in connection string");
    }
    if (keyword.empty()) {
      return make_error(ErrorCategory::config, "missing keyword before \"=\" in connection string");
    }
    ++i;  // '='
    while (i < s.size() && is_space(s[i])) ++i;

    const detail::Keyword* kw = detail::find_keyword(keyword);
    // Names a keyword in value errors; an unknown one after a secret is not echoed.
    std::string kw_desc = kw != nullptr && after_secret.empty() ? "\"" + std::string(keyword) + "\""
                                                                : describe_token(keyword, after_secret);

    std::string value;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\\') {
          if (i < s.size()) value += s[i++];
        } else if (c == '\'') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) {
        return make_error(ErrorCategory::config, "unterminated quoted string in value of " + kw_desc);
      }
    } else {
      while (i < s.size() && !is_space(s[i])) {
        char c = s[i++];
        if (c == '\\') {
          if (i < s.size()) value += s[i++];
        } else {
          value += c;
        }
      }
    }

    if (kw == nullptr) {
      return make_error(ErrorCategory::config, "unknown connection option " + describe_token(keyword, after_secret));
    }
    if (auto r = kw->set(ci, kw->name, value); !r) {
      return std::unexpected(detail::hide_value_after_secret(r.error(), kw->name, after_secret));
    }
    after_secret = kw->secret ? kw->name : std::string_view{};
  }
  return ci;
}

}  // namespace

Result<ConnInfo> parse_conninfo(std::string_view conninfo) {
  // libpq takes C strings, so it never sees one; every value ends up in a C string on the wire.
  if (conninfo.find('\0') != std::string_view::npos) {
    return make_error(ErrorCategory::config, "connection string contains a NUL byte");
  }
  if (auto rest = detail::strip_uri_scheme(conninfo)) return detail::parse_uri(*rest);
  return parse_keyword_value(conninfo);
}

}  // namespace pgstream::client
