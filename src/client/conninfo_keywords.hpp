#pragma once
// The table of connection keywords shared by the string parser, resolve() and the redacted
// printer, so each keyword's parsing, environment variable and rendering live in one place.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pgstream/client/conninfo.hpp"

namespace pgstream::client::detail {

struct Keyword {
  std::string_view name;
  std::string_view env;  // PG* variable, empty when libpq has none
  bool secret;           // value never echoed, printed as ********
  // Parses `value` into the field (`keyword` is this entry's name, for messages). Errors name
  // the keyword; secret values are never quoted.
  Result<void> (*set)(ConnInfo&, std::string_view keyword, std::string_view value);
  bool (*is_set)(const ConnInfo&);
  // Appends the field's value in the form set() accepts (only called when is_set).
  void (*render)(const ConnInfo&, std::string& out);
};

[[nodiscard]] std::span<const Keyword> keywords() noexcept;
[[nodiscard]] const Keyword* find_keyword(std::string_view name) noexcept;

// `"value"` for an error message: at most 64 characters, control characters as '?', so a
// message stays one line.
[[nodiscard]] std::string quote_for_message(std::string_view value);

// Appends `value` as a keyword/value string value: bare when it is safe, else single-quoted
// with \' and \\ escapes.
void append_conninfo_value(std::string& out, std::string_view value);

// A setting right after a secret may be the tail of an unquoted secret ("password=ab port=cd"
// where the password was "ab port=cd"), so its value error must not echo the value. Returns
// `e` unchanged when `after_secret` is empty or `e` is not a config error.
[[nodiscard]] Error hide_value_after_secret(const Error& e, std::string_view keyword, std::string_view after_secret);

// The rest of `conninfo` after "postgresql://" or "postgres://", or nullopt for a keyword/value
// string.
[[nodiscard]] std::optional<std::string_view> strip_uri_scheme(std::string_view conninfo) noexcept;
// Parses a URI, given what follows its scheme.
[[nodiscard]] Result<ConnInfo> parse_uri(std::string_view rest);

}  // namespace pgstream::client::detail
