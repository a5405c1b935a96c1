// postgresql://[user[:password]@][host][:port][,...][/dbname][?keyword=value[&...]]
#include <string>
#include <vector>

#include "conninfo_keywords.hpp"

namespace pgstream::client::detail {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `what` names the URI part in messages; a secret part's text is never echoed.
Result<std::string> percent_decode(std::string_view s, std::string_view what, bool secret) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      std::string msg = "invalid percent-encoding ";
      if (!secret) msg += quote_for_message(s.substr(i, 3)) + " ";
      msg.append("in ").append(what).append(" (write \"%\" as %25)");
      return make_error(ErrorCategory::config, std::move(msg));
    }
    if (hi == 0 && lo == 0) {
      return make_error(ErrorCategory::config, "percent-encoded NUL (%00) is not allowed in " + std::string(what));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  return out;
}

bool any_nonempty(const std::vector<std::string>& items) {
  for (const auto& s : items) {
    if (!s.empty()) return true;
  }
  return false;
}

Result<void> set_keyword(ConnInfo& ci, std::string_view name, std::string_view value) {
  const Keyword* kw = find_keyword(name);
  return kw->set(ci, kw->name, value);
}

// Where the user info ends: the '@' before the host list, or npos. As libpq, the authority runs
// to the first '/'. The last '@' wins so that an unencoded '@' in a password still works; an
// '@' after a '?' only counts when no "key=" precedes it (then it is a '?' in the password,
// not a query value such as application_name=a@b).
std::size_t find_userinfo_end(std::string_view rest) noexcept {
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::size_t q = authority.find('?');
  if (q == std::string_view::npos) return authority.rfind('@');
  std::size_t at = authority.substr(0, q).rfind('@');
  if (at != std::string_view::npos) return at;
  std::size_t later = authority.rfind('@');
  if (later == std::string_view::npos) return later;
  std::string_view between = authority.substr(q, later - q);
  return between.find('=') == std::string_view::npos ? later : std::string_view::npos;
}

Result<void> parse_userinfo(ConnInfo& ci, std::string_view userinfo) {
  std::size_t colon = userinfo.find(':');
  auto user = percent_decode(userinfo.substr(0, colon), "the URI user name", false);
  if (!user) return std::unexpected(user.error());
  if (!user->empty()) ci.user = std::move(*user);
  if (colon != std::string_view::npos) {
    auto password = percent_decode(userinfo.substr(colon + 1), "the URI password", true);
    if (!password) return std::unexpected(password.error());
    if (!password->empty()) ci.password = std::move(*password);
  }
  return {};
}

struct HostList {
  std::vector<std::string> hosts;
  std::vector<std::string> ports;
  std::size_t end = 0;  // index of the '/' or '?' that ended the list, or the size
};

Result<HostList> parse_host_list(std::string_view rest, std::size_t i) {
  HostList out;
  while (true) {
    std::string_view host;
    if (i < rest.size() && rest[i] == '[') {
      std::size_t close = rest.find(']', i);
      if (close == std::string_view::npos) {
        return make_error(ErrorCategory::config, "missing \"]\" after IPv6 address in URI");
      }
      host = rest.substr(i + 1, close - i - 1);
      if (host.empty()) return make_error(ErrorCategory::config, "empty IPv6 address \"[]\" in URI");
      // Hex digits, ':' and '.', and a zone after '%'. Anything else means the brackets swallowed
      // more of the URI (a '?password=' even), which must not be taken for a host name.
      for (const char c : host) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        std::string_view(":.%-_~").find(c) != std::string_view::npos;
        if (!ok)
          return make_error(ErrorCategory::config,
                            "invalid IPv6 address in URI: only hex digits, ':', '.' and a %zone may stand inside \"[]\"");
      }
      i = close + 1;
      if (i < rest.size() && std::string_view(":/?,").find(rest[i]) == std::string_view::npos) {
        return make_error(ErrorCategory::config, "unexpected character " + quote_for_message(rest.substr(i, 1)) +
                                                     " after IPv6 address in URI (expected \":\", \"/\", \"?\" or \",\")");
      }
    } else {
      std::size_t end = rest.find_first_of(":/?,", i);
      if (end == std::string_view::npos) end = rest.size();
      host = rest.substr(i, end - i);
      i = end;
    }
    std::string_view port;
    if (i < rest.size() && rest[i] == ':') {
      std::size_t end = rest.find_first_of("/?,", i + 1);
      if (end == std::string_view::npos) end = rest.size();
      port = rest.substr(i + 1, end - i - 1);
      i = end;
    }
    auto h = percent_decode(host, "the URI host list", false);
    if (!h) return std::unexpected(h.error());
    auto p = percent_decode(port, "the URI port list", false);
    if (!p) return std::unexpected(p.error());
    out.hosts.push_back(std::move(*h));
    out.ports.push_back(std::move(*p));
    if (i < rest.size() && rest[i] == ',') {
      ++i;
      continue;
    }
    break;
  }
  out.end = i;
  return out;
}

Result<void> parse_query(ConnInfo& ci, std::string_view query) {
  std::string_view after_secret;  // keyword of the previous parameter when it was a secret
  auto describe = [&](std::string_view token) {
    if (after_secret.empty()) return quote_for_message(token);
    return "the parameter after \"" + std::string(after_secret) + "\" (percent-encode \"&\" in values as %26)";
  };
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (param.empty()) continue;

    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      return make_error(ErrorCategory::config, "missing \"=\" in URI query parameter " + describe(param));
    }
    auto key = percent_decode(param.substr(0, eq), "a URI query parameter name", !after_secret.empty());
    if (!key) return std::unexpected(key.error());
    const Keyword* kw = find_keyword(*key);
    bool secret_value = kw == nullptr || kw->secret;
    if (param.find('=', eq + 1) != std::string_view::npos) {
      return make_error(ErrorCategory::config, "extra \"=\" in URI query parameter " + describe(*key) +
                                                   " (percent-encode \"=\" in values as %3D)");
    }
    std::string what = "the value of URI query parameter " + describe(*key);
    auto value = percent_decode(param.substr(eq + 1), what, secret_value);
    if (!value) return std::unexpected(value.error());
    // JDBC compatibility, as libpq.
    if (*key == "ssl" && *value == "true") {
      kw = find_keyword("sslmode");
      *value = "require";
    }
    if (kw == nullptr) {
      return make_error(ErrorCategory::config, "unknown connection option " + describe(*key) + " in URI query");
    }
    if (auto r = kw->set(ci, kw->name, *value); !r) {
      return std::unexpected(hide_value_after_secret(r.error(), kw->name, after_secret));
    }
    after_secret = kw->secret ? kw->name : std::string_view{};
  }
  return {};
}

}  // namespace

std::optional<std::string_view> strip_uri_scheme(std::string_view conninfo) noexcept {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (conninfo.starts_with(scheme)) return conninfo.substr(scheme.size());
  }
  return std::nullopt;
}

Result<ConnInfo> parse_uri(std::string_view rest) {
  ConnInfo ci;
  std::size_t i = 0;
  std::size_t at = find_userinfo_end(rest);
  if (at != std::string_view::npos) {
    if (auto r = parse_userinfo(ci, rest.substr(0, at)); !r) return std::unexpected(r.error());
    i = at + 1;
  }

  auto list = parse_host_list(rest, i);
  if (!list) return std::unexpected(list.error());
  i = list->end;
  if (any_nonempty(list->hosts)) {
    if (auto r = set_keyword(ci, "host", join(list->hosts)); !r) return std::unexpected(r.error());
  }
  if (any_nonempty(list->ports)) {
    if (auto r = set_keyword(ci, "port", join(list->ports)); !r) {
      // "user:pa/ss@host": the '/' ended the authority early, so the password became a port.
      std::string_view path = rest.substr(i);
      if (at == std::string_view::npos && path.substr(0, path.find('?')).find('@') != std::string_view::npos) {
        return make_error(ErrorCategory::config,
                          "unencoded \"/\" in the URI user name or password (percent-encode it as %2F)");
      }
      return std::unexpected(r.error());
    }
  }

  if (i < rest.size() && rest[i] == '/') {
    std::size_t end = rest.find('?', i + 1);
    if (end == std::string_view::npos) end = rest.size();
    auto db = percent_decode(rest.substr(i + 1, end - i - 1), "the URI database name", false);
    if (!db) return std::unexpected(db.error());
    if (!db->empty()) ci.dbname = std::move(*db);
    i = end;
  }
  if (i < rest.size() && rest[i] == '?') {
    if (auto r = parse_query(ci, rest.substr(i + 1)); !r) return std::unexpected(r.error());
  }
  return ci;
}

}  // namespace pgstream::client::detail
