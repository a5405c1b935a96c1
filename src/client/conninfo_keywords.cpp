#include "conninfo_keywords.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <climits>
#include <span>

namespace pgstream::client {
namespace {

template <class E>
struct Choice {
  std::string_view name;
  E value;
};

constexpr Choice<SslMode> kSslModes[] = {
    {"disable", SslMode::disable}, {"allow", SslMode::allow},         {"prefer", SslMode::prefer},
    {"require", SslMode::require}, {"verify-ca", SslMode::verify_ca}, {"verify-full", SslMode::verify_full}};
constexpr Choice<SslNegotiation> kSslNegotiations[] = {{"postgres", SslNegotiation::postgres},
                                                       {"direct", SslNegotiation::direct}};
constexpr Choice<SslCertMode> kSslCertModes[] = {
    {"disable", SslCertMode::disable}, {"allow", SslCertMode::allow}, {"require", SslCertMode::require}};
constexpr Choice<ChannelBinding> kChannelBindings[] = {
    {"disable", ChannelBinding::disable}, {"prefer", ChannelBinding::prefer}, {"require", ChannelBinding::require}};
constexpr Choice<GssEncMode> kGssEncModes[] = {
    {"disable", GssEncMode::disable}, {"prefer", GssEncMode::prefer}, {"require", GssEncMode::require}};
constexpr Choice<TargetSessionAttrs> kTargetSessionAttrs[] = {
    {"any", TargetSessionAttrs::any},         {"read-write", TargetSessionAttrs::read_write},
    {"read-only", TargetSessionAttrs::read_only}, {"primary", TargetSessionAttrs::primary},
    {"standby", TargetSessionAttrs::standby}, {"prefer-standby", TargetSessionAttrs::prefer_standby}};
constexpr Choice<LoadBalanceHosts> kLoadBalanceHosts[] = {{"disable", LoadBalanceHosts::disable},
                                                          {"random", LoadBalanceHosts::random}};
// libpq compares these case-insensitively.
constexpr Choice<TlsVersion> kTlsVersions[] = {{"TLSv1", TlsVersion::tls1_0},
                                               {"TLSv1.1", TlsVersion::tls1_1},
                                               {"TLSv1.2", TlsVersion::tls1_2},
                                               {"TLSv1.3", TlsVersion::tls1_3}};
constexpr Choice<AuthMethod> kAuthMethods[] = {
    {"password", AuthMethod::password}, {"md5", AuthMethod::md5},
    {"gss", AuthMethod::gss},           {"sspi", AuthMethod::sspi},
    {"scram-sha-256", AuthMethod::scram_sha_256}, {"oauth", AuthMethod::oauth},
    {"none", AuthMethod::none}};

template <class E, std::size_t N>
std::string_view name_of(const Choice<E> (&table)[N], E value) noexcept {
  for (const auto& c : table) {
    if (c.value == value) return c.name;
  }
  return "?";
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string quoted_name(std::string_view keyword) {
  std::string out = "\"";
  out.append(keyword).append("\"");
  return out;
}

template <class E, std::size_t N>
std::string expected_list(const Choice<E> (&table)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += (i + 1 == N) ? " or " : ", ";
    out.append(table[i].name);
  }
  return out;
}

template <class E, std::size_t N>
Result<E> parse_choice(std::string_view keyword, std::string_view value, const Choice<E> (&table)[N],
                       bool case_insensitive) {
  for (const auto& c : table) {
    if (case_insensitive ? iequals(c.name, value) : c.name == value) return c.value;
  }
  return make_error(ErrorCategory::config, "invalid value " + detail::quote_for_message(value) + " for " +
                                               quoted_name(keyword) + " (expected " + expected_list(table) + ")");
}

std::string_view trim_spaces(std::string_view v) noexcept {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
  return v;
}

// Like libpq's pqParseIntParam: a decimal int, surrounding whitespace allowed.
Result<int> parse_int(std::string_view keyword, std::string_view value) {
  std::string_view digits = trim_spaces(value);
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int out = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    return make_error(ErrorCategory::config, "invalid integer value " + detail::quote_for_message(value) +
                                                 " for " + quoted_name(keyword));
  }
  return out;
}

Result<bool> parse_flag(std::string_view keyword, std::string_view value) {
  std::string_view v = trim_spaces(value);
  if (v == "1") return true;
  if (v == "0") return false;
  return make_error(ErrorCategory::config,
                    "invalid value " + detail::quote_for_message(value) + " for " + quoted_name(keyword) + " (expected 0 or 1)");
}

std::vector<std::string> split_commas(std::string_view v) {
  std::vector<std::string> out;
  while (true) {
    auto comma = v.find(',');
    out.emplace_back(v.substr(0, comma));
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

template <class T>
void append_joined(std::string& out, const std::vector<T>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    if constexpr (std::is_same_v<T, std::uint16_t>) {
      if (items[i] != 0) out += std::to_string(items[i]);
    } else {
      out += items[i];
    }
  }
}

// ---- generic field handlers, instantiated per member ----

template <auto Member>
bool is_set(const ConnInfo& ci) {
  return (ci.*Member).has_value();
}

template <auto Member>
Result<void> set_string(ConnInfo& ci, std::string_view, std::string_view value) {
  ci.*Member = std::string(value);
  return {};
}
template <auto Member>
void render_string(const ConnInfo& ci, std::string& out) {
  out += *(ci.*Member);
}

template <auto Member>
Result<void> set_int(ConnInfo& ci, std::string_view keyword, std::string_view value) {
  auto v = parse_int(keyword, value);
  if (!v) return std::unexpected(v.error());
  ci.*Member = *v;
  return {};
}
template <auto Member>
void render_int(const ConnInfo& ci, std::string& out) {
  out += std::to_string(*(ci.*Member));
}

template <auto Member>
Result<void> set_flag(ConnInfo& ci, std::string_view keyword, std::string_view value) {
  auto v = parse_flag(keyword, value);
  if (!v) return std::unexpected(v.error());
  ci.*Member = *v;
  return {};
}
template <auto Member>
void render_flag(const ConnInfo& ci, std::string& out) {
  out += *(ci.*Member) ? '1' : '0';
}

template <auto Member, const auto& Table, bool CaseInsensitive = false>
Result<void> set_enum(ConnInfo& ci, std::string_view keyword, std::string_view value) {
  auto v = parse_choice(keyword, value, Table, CaseInsensitive);
  if (!v) return std::unexpected(v.error());
  ci.*Member = *v;
  return {};
}
template <auto Member, const auto& Table>
void render_enum(const ConnInfo& ci, std::string& out) {
  out += name_of(Table, *(ci.*Member));
}

// ---- fields with their own syntax ----

Result<void> set_hosts(ConnInfo& ci, std::string_view, std::string_view value) {
  ci.hosts = split_commas(value);
  return {};
}
void render_hosts(const ConnInfo& ci, std::string& out) { append_joined(out, *ci.hosts); }

Result<void> set_hostaddrs(ConnInfo& ci, std::string_view keyword, std::string_view value) {
  auto items = split_commas(value);
  for (const auto& item : items) {
    if (item.empty()) continue;
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, item.c_str(), &v4) != 1 && inet_pton(AF_INET6, item.c_str(), &v6) != 1) {
      return make_error(ErrorCategory::config, "invalid address " + detail::quote_for_message(item) + " in " +
                                                   quoted_name(keyword) +
                                                   " (expected a numeric IPv4 or IPv6 address; put names in host)");
    }
  }
  ci.hostaddrs = std::move(items);
  return {};
}
void render_hostaddrs(const ConnInfo& ci, std::string& out) { append_joined(out, *ci.hostaddrs); }

Result<void> set_ports(ConnInfo& ci, std::string_view keyword, std::string_view value) {
  std::vector<std::uint16_t> ports;
  for (const auto& item : split_commas(value)) {
    std::string_view digits = trim_spaces(item);
    if (digits.empty()) {
      ports.push_back(0);
      continue;
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      return make_error(ErrorCategory::config, "invalid port number " + detail::quote_for_message(item) + " in " +
                                                   quoted_name(keyword) + " (expected an integer from 1 to 65535)");
    }
    ports.push_back(static_cast<std::uint16_t>(port));
  }
  ci.ports = std::move(ports);
  return {};
}
void render_ports(const ConnInfo& ci, std::string& out) { append_joined(out, *ci.ports); }

Result<void> set_require_auth(ConnInfo& ci, std::string_view keyword, std::string_view value) {
  RequireAuth ra;
  bool first = true;
  for (const auto& raw : split_commas(value)) {
    std::string_view item = raw;
    bool negated = !item.empty() && item.front() == '!';
    if (negated) item.remove_prefix(1);
    if (first) {
      ra.negated = negated;
      first = false;
    } else if (negated != ra.negated) {
      return make_error(ErrorCategory::config, quoted_name(keyword) +
                                                   " cannot mix negated (\"!method\") and plain methods");
    }
    bool found = false;
    for (const auto& c : kAuthMethods) {
      if (c.name != item) continue;
      found = true;
      if (ra.lists(c.value)) {
        return make_error(ErrorCategory::config, "method " + detail::quote_for_message(item) + " is listed twice in " +
                                                     quoted_name(keyword));
      }
      ra.methods = static_cast<std::uint8_t>(ra.methods | (1u << static_cast<unsigned>(c.value)));
    }
    if (!found) {
      return make_error(ErrorCategory::config, "invalid method " + detail::quote_for_message(raw) + " in " +
                                                   quoted_name(keyword) + " (expected a comma list of " +
                                                   expected_list(kAuthMethods) +
                                                   ", each optionally prefixed with \"!\")");
    }
  }
  ci.require_auth = ra;
  return {};
}
void render_require_auth(const ConnInfo& ci, std::string& out) { out += to_string(*ci.require_auth); }

template <auto Member>
Result<void> set_protocol(ConnInfo& ci, std::string_view keyword, std::string_view value) {
  if (value == "3.0") {
    ci.*Member = kProtocol30;
  } else if (value == "3.2") {
    ci.*Member = kProtocol32;
  } else if (value == "latest") {
    ci.*Member = kProtocolLatest;
  } else {
    return make_error(ErrorCategory::config, "invalid value " + detail::quote_for_message(value) + " for " +
                                                 quoted_name(keyword) + " (expected 3.0, 3.2 or latest)");
  }
  return {};
}
template <auto Member>
void render_protocol(const ConnInfo& ci, std::string& out) {
  out += to_string(*(ci.*Member));
}

// replication=off (and its spellings) is accepted: it is what a normal connection is.
Result<void> set_replication(ConnInfo&, std::string_view keyword, std::string_view value) {
  for (std::string_view off : {"false", "off", "no", "0"}) {
    if (iequals(value, off)) return {};
  }
  for (std::string_view on : {"true", "on", "yes", "1", "database"}) {
    if (iequals(value, on)) {
      return make_error(ErrorCategory::unsupported,
                        "connection option " + quoted_name(keyword) + " is not supported by pgstream (replication connections are not implemented)");
    }
  }
  return make_error(ErrorCategory::config, "invalid value " + detail::quote_for_message(value) + " for " +
                                               quoted_name(keyword) + " (expected true, on, yes, 1, database, false, off, no or 0)");
}

// gssdelegation=0 is a no-op without GSSAPI, anything else would be silently ignored.
Result<void> set_gssdelegation(ConnInfo&, std::string_view keyword, std::string_view value) {
  if (trim_spaces(value) == "0") return {};
  return make_error(ErrorCategory::unsupported,
                    "connection option " + quoted_name(keyword) + " is not supported by pgstream (no GSSAPI support)");
}

template <const std::string_view& Why>
Result<void> set_unsupported(ConnInfo&, std::string_view keyword, std::string_view) {
  return make_error(ErrorCategory::unsupported,
                    "connection option " + quoted_name(keyword) + " is not supported by pgstream (" + std::string(Why) + ")");
}

bool never_set(const ConnInfo&) { return false; }
void render_nothing(const ConnInfo&, std::string&) {}

constexpr std::string_view kWhyService = "pg_service.conf is not read; give the connection parameters directly";
constexpr std::string_view kWhyRequireSsl = "it is deprecated; use sslmode=require";
constexpr std::string_view kWhyKeyLog = "TLS key logging is not implemented";
constexpr std::string_view kWhyScramKeys = "SCRAM pass-through keys are not implemented";
constexpr std::string_view kWhyOauth = "OAuth authentication is not implemented";

using CI = ConnInfo;

// Order: libpq's documentation order, which is also the order to_string_redacted() prints.
constexpr detail::Keyword kKeywords[] = {
    {"host", "PGHOST", false, set_hosts, is_set<&CI::hosts>, render_hosts},
    {"hostaddr", "PGHOSTADDR", false, set_hostaddrs, is_set<&CI::hostaddrs>, render_hostaddrs},
    {"port", "PGPORT", false, set_ports, is_set<&CI::ports>, render_ports},
    {"dbname", "PGDATABASE", false, set_string<&CI::dbname>, is_set<&CI::dbname>, render_string<&CI::dbname>},
    {"user", "PGUSER", false, set_string<&CI::user>, is_set<&CI::user>, render_string<&CI::user>},
    {"password", "PGPASSWORD", true, set_string<&CI::password>, is_set<&CI::password>, render_nothing},
    {"passfile", "PGPASSFILE", false, set_string<&CI::passfile>, is_set<&CI::passfile>, render_string<&CI::passfile>},
    {"require_auth", "PGREQUIREAUTH", false, set_require_auth, is_set<&CI::require_auth>, render_require_auth},
    {"channel_binding", "PGCHANNELBINDING", false, set_enum<&CI::channel_binding, kChannelBindings>,
     is_set<&CI::channel_binding>, render_enum<&CI::channel_binding, kChannelBindings>},
    {"connect_timeout", "PGCONNECT_TIMEOUT", false, set_int<&CI::connect_timeout>, is_set<&CI::connect_timeout>,
     render_int<&CI::connect_timeout>},
    {"client_encoding", "PGCLIENTENCODING", false, set_string<&CI::client_encoding>, is_set<&CI::client_encoding>,
     render_string<&CI::client_encoding>},
    {"options", "PGOPTIONS", false, set_string<&CI::options>, is_set<&CI::options>, render_string<&CI::options>},
    {"application_name", "PGAPPNAME", false, set_string<&CI::application_name>, is_set<&CI::application_name>,
     render_string<&CI::application_name>},
    {"fallback_application_name", "", false, set_string<&CI::fallback_application_name>,
     is_set<&CI::fallback_application_name>, render_string<&CI::fallback_application_name>},
    {"keepalives", "", false, set_flag<&CI::keepalives>, is_set<&CI::keepalives>, render_flag<&CI::keepalives>},
    {"keepalives_idle", "", false, set_int<&CI::keepalives_idle>, is_set<&CI::keepalives_idle>,
     render_int<&CI::keepalives_idle>},
    {"keepalives_interval", "", false, set_int<&CI::keepalives_interval>, is_set<&CI::keepalives_interval>,
     render_int<&CI::keepalives_interval>},
    {"keepalives_count", "", false, set_int<&CI::keepalives_count>, is_set<&CI::keepalives_count>,
     render_int<&CI::keepalives_count>},
    {"tcp_user_timeout", "", false, set_int<&CI::tcp_user_timeout>, is_set<&CI::tcp_user_timeout>,
     render_int<&CI::tcp_user_timeout>},
    {"replication", "", false, set_replication, never_set, render_nothing},
    {"gssencmode", "PGGSSENCMODE", false, set_enum<&CI::gssencmode, kGssEncModes>, is_set<&CI::gssencmode>,
     render_enum<&CI::gssencmode, kGssEncModes>},
    {"sslmode", "PGSSLMODE", false, set_enum<&CI::sslmode, kSslModes>, is_set<&CI::sslmode>,
     render_enum<&CI::sslmode, kSslModes>},
    {"requiressl", "", false, set_unsupported<kWhyRequireSsl>, never_set, render_nothing},
    {"sslnegotiation", "PGSSLNEGOTIATION", false, set_enum<&CI::sslnegotiation, kSslNegotiations>,
     is_set<&CI::sslnegotiation>, render_enum<&CI::sslnegotiation, kSslNegotiations>},
    {"sslcompression", "PGSSLCOMPRESSION", false, set_flag<&CI::sslcompression>, is_set<&CI::sslcompression>,
     render_flag<&CI::sslcompression>},
    {"sslcert", "PGSSLCERT", false, set_string<&CI::sslcert>, is_set<&CI::sslcert>, render_string<&CI::sslcert>},
    {"sslkey", "PGSSLKEY", false, set_string<&CI::sslkey>, is_set<&CI::sslkey>, render_string<&CI::sslkey>},
    {"sslkeylogfile", "", false, set_unsupported<kWhyKeyLog>, never_set, render_nothing},
    {"sslpassword", "", true, set_string<&CI::sslpassword>, is_set<&CI::sslpassword>, render_nothing},
    {"sslcertmode", "PGSSLCERTMODE", false, set_enum<&CI::sslcertmode, kSslCertModes>, is_set<&CI::sslcertmode>,
     render_enum<&CI::sslcertmode, kSslCertModes>},
    {"sslrootcert", "PGSSLROOTCERT", false, set_string<&CI::sslrootcert>, is_set<&CI::sslrootcert>,
     render_string<&CI::sslrootcert>},
    {"sslcrl", "PGSSLCRL", false, set_string<&CI::sslcrl>, is_set<&CI::sslcrl>, render_string<&CI::sslcrl>},
    {"sslcrldir", "PGSSLCRLDIR", false, set_string<&CI::sslcrldir>, is_set<&CI::sslcrldir>,
     render_string<&CI::sslcrldir>},
    {"sslsni", "PGSSLSNI", false, set_flag<&CI::sslsni>, is_set<&CI::sslsni>, render_flag<&CI::sslsni>},
    {"requirepeer", "PGREQUIREPEER", false, set_string<&CI::requirepeer>, is_set<&CI::requirepeer>,
     render_string<&CI::requirepeer>},
    {"ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION", false,
     set_enum<&CI::ssl_min_protocol_version, kTlsVersions, true>, is_set<&CI::ssl_min_protocol_version>,
     render_enum<&CI::ssl_min_protocol_version, kTlsVersions>},
    {"ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION", false,
     set_enum<&CI::ssl_max_protocol_version, kTlsVersions, true>, is_set<&CI::ssl_max_protocol_version>,
     render_enum<&CI::ssl_max_protocol_version, kTlsVersions>},
    {"min_protocol_version", "PGMINPROTOCOLVERSION", false, set_protocol<&CI::min_protocol_version>,
     is_set<&CI::min_protocol_version>, render_protocol<&CI::min_protocol_version>},
    {"max_protocol_version", "PGMAXPROTOCOLVERSION", false, set_protocol<&CI::max_protocol_version>,
     is_set<&CI::max_protocol_version>, render_protocol<&CI::max_protocol_version>},
    {"krbsrvname", "PGKRBSRVNAME", false, set_string<&CI::krbsrvname>, is_set<&CI::krbsrvname>,
     render_string<&CI::krbsrvname>},
    {"gsslib", "PGGSSLIB", false, set_string<&CI::gsslib>, is_set<&CI::gsslib>, render_string<&CI::gsslib>},
    {"gssdelegation", "PGGSSDELEGATION", false, set_gssdelegation, never_set, render_nothing},
    {"scram_client_key", "", true, set_unsupported<kWhyScramKeys>, never_set, render_nothing},
    {"scram_server_key", "", true, set_unsupported<kWhyScramKeys>, never_set, render_nothing},
    {"service", "PGSERVICE", false, set_unsupported<kWhyService>, never_set, render_nothing},
    // No PGSERVICEFILE mapping: without a service it changes nothing, as in libpq.
    {"servicefile", "", false, set_unsupported<kWhyService>, never_set, render_nothing},
    {"target_session_attrs", "PGTARGETSESSIONATTRS", false, set_enum<&CI::target_session_attrs, kTargetSessionAttrs>,
     is_set<&CI::target_session_attrs>, render_enum<&CI::target_session_attrs, kTargetSessionAttrs>},
    {"load_balance_hosts", "PGLOADBALANCEHOSTS", false, set_enum<&CI::load_balance_hosts, kLoadBalanceHosts>,
     is_set<&CI::load_balance_hosts>, render_enum<&CI::load_balance_hosts, kLoadBalanceHosts>},
    {"oauth_issuer", "", false, set_unsupported<kWhyOauth>, never_set, render_nothing},
    {"oauth_client_id", "", false, set_unsupported<kWhyOauth>, never_set, render_nothing},
    {"oauth_client_secret", "", true, set_unsupported<kWhyOauth>, never_set, render_nothing},
    {"oauth_scope", "", false, set_unsupported<kWhyOauth>, never_set, render_nothing},
};

}  // namespace

std::string_view to_string(SslMode v) noexcept { return name_of(kSslModes, v); }
std::string_view to_string(SslNegotiation v) noexcept { return name_of(kSslNegotiations, v); }
std::string_view to_string(SslCertMode v) noexcept { return name_of(kSslCertModes, v); }
std::string_view to_string(ChannelBinding v) noexcept { return name_of(kChannelBindings, v); }
std::string_view to_string(GssEncMode v) noexcept { return name_of(kGssEncModes, v); }
std::string_view to_string(TargetSessionAttrs v) noexcept { return name_of(kTargetSessionAttrs, v); }
std::string_view to_string(LoadBalanceHosts v) noexcept { return name_of(kLoadBalanceHosts, v); }
std::string_view to_string(TlsVersion v) noexcept { return name_of(kTlsVersions, v); }
std::string_view to_string(AuthMethod v) noexcept { return name_of(kAuthMethods, v); }

std::string to_string(ProtocolVersion v) { return std::to_string(v.major) + "." + std::to_string(v.minor); }

std::string to_string(const RequireAuth& ra) {
  std::string out;
  for (const auto& c : kAuthMethods) {
    if (!ra.lists(c.value)) continue;
    if (!out.empty()) out += ',';
    if (ra.negated) out += '!';
    out.append(c.name);
  }
  return out;
}

std::string ConnInfo::to_string_redacted() const {
  std::string out;
  for (const auto& kw : kKeywords) {
    if (!kw.is_set(*this)) continue;
    if (!out.empty()) out += ' ';
    out.append(kw.name).append("=");
    if (kw.secret) {
      out += "********";
    } else {
      std::string value;
      kw.render(*this, value);
      detail::append_conninfo_value(out, value);
    }
  }
  return out;
}

std::optional<std::string> ConnInfo::effective_application_name() const {
  if (application_name) return application_name;
  return fallback_application_name;
}

namespace detail {

std::span<const Keyword> keywords() noexcept { return kKeywords; }

const Keyword* find_keyword(std::string_view name) noexcept {
  for (const auto& kw : kKeywords) {
    if (kw.name == name) return &kw;
  }
  return nullptr;
}

Error hide_value_after_secret(const Error& e, std::string_view keyword, std::string_view after_secret) {
  if (after_secret.empty() || e.category() != ErrorCategory::config) return e;
  return Error(ErrorCategory::config, "invalid value for " + quoted_name(keyword) +
                                          " (not shown: it may be part of the value of " + quoted_name(after_secret) +
                                          "; quote or percent-encode values that contain spaces or \"&\")");
}

std::string quote_for_message(std::string_view value) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  std::size_t n = std::min(value.size(), kMax);
  // Do not cut a UTF-8 sequence in half.
  if (n < value.size()) {
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
  }
  if (n < value.size()) out += "...";
  out += '"';
  return out;
}

void append_conninfo_value(std::string& out, std::string_view value) {
  bool needs_quotes = value.empty();
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\'' || c == '\\') {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    out += value;
    return;
  }
  out += '\'';
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
}

}  // namespace detail
}  // namespace pgstream::client
