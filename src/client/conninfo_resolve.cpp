// Environment variables, libpq's built-in defaults, and the endpoint list.
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "conninfo_keywords.hpp"

namespace pgstream::client {
namespace {

class ProcessEnvironment final : public Environment {
 public:
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const override {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }
  [[nodiscard]] std::optional<std::string> os_user_name() const override {
    auto pw = lookup_passwd();
    if (!pw) return std::nullopt;
    return pw->first;
  }
  [[nodiscard]] std::optional<std::string> home_directory() const override {
    if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') return std::string(home);
    auto pw = lookup_passwd();
    if (!pw || pw->second.empty()) return std::nullopt;
    return pw->second;
  }

 private:
  // (user name, home directory) of the effective user; getpwuid_r because getpwuid is not
  // thread-safe.
  static std::optional<std::pair<std::string, std::string>> lookup_passwd() {
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(hint > 0 ? static_cast<std::size_t>(hint) : 16384);
    passwd pwd{};
    passwd* result = nullptr;
    while (true) {
      int rc = getpwuid_r(geteuid(), &pwd, buf.data(), buf.size(), &result);
      if (rc == ERANGE && buf.size() < (1u << 20)) {
        buf.resize(buf.size() * 2);
        continue;
      }
      if (rc != 0 || result == nullptr) return std::nullopt;
      return std::pair<std::string, std::string>(pwd.pw_name, pwd.pw_dir != nullptr ? pwd.pw_dir : "");
    }
  }
};

bool given(const std::optional<std::string>& s) { return s && !s->empty(); }

// A list counts as given when it has a non-empty item ("host=" alone means the default).
template <class T>
bool list_given(const std::optional<std::vector<T>>& list) {
  if (!list) return false;
  for (const auto& item : *list) {
    if (item != T{}) return true;
  }
  return false;
}

Result<void> check_combinations(const ConnInfo& ci) {
  if (ci.sslnegotiation == SslNegotiation::direct && ci.sslmode < SslMode::require) {
    return make_error(ErrorCategory::config, "sslnegotiation=direct needs sslmode require, verify-ca or verify-full (sslmode is " +
                                                 std::string(to_string(*ci.sslmode)) + ")");
  }
  if (ci.sslrootcert == "system" && ci.sslmode != SslMode::verify_full) {
    return make_error(ErrorCategory::config, "sslrootcert=system needs sslmode=verify-full (sslmode is " +
                                                 std::string(to_string(*ci.sslmode)) + ")");
  }
  if (ci.min_protocol_version && ci.max_protocol_version && *ci.min_protocol_version > *ci.max_protocol_version) {
    return make_error(ErrorCategory::config, "min_protocol_version " + to_string(*ci.min_protocol_version) +
                                                 " is greater than max_protocol_version " + to_string(*ci.max_protocol_version));
  }
  if (ci.ssl_min_protocol_version && ci.ssl_max_protocol_version &&
      *ci.ssl_min_protocol_version > *ci.ssl_max_protocol_version) {
    return make_error(ErrorCategory::config,
                      "ssl_min_protocol_version " + std::string(to_string(*ci.ssl_min_protocol_version)) +
                          " is greater than ssl_max_protocol_version " + std::string(to_string(*ci.ssl_max_protocol_version)));
  }
  if (ci.gssencmode == GssEncMode::require) {
    return make_error(ErrorCategory::unsupported, "gssencmode=require is not supported by pgstream (no GSSAPI support)");
  }
  if (ci.require_auth && !ci.require_auth->negated && ci.require_auth->methods != 0) {
    // Methods we cannot perform would make every connection fail later with a vaguer message.
    for (AuthMethod m : {AuthMethod::gss, AuthMethod::sspi, AuthMethod::oauth}) {
      if (ci.require_auth->lists(m) && ci.require_auth->methods == (1u << static_cast<unsigned>(m))) {
        return make_error(ErrorCategory::unsupported, "require_auth=" + std::string(to_string(m)) +
                                                          " is not supported by pgstream (it cannot use that method)");
      }
    }
  }
  return {};
}

}  // namespace

const Environment& process_environment() {
  static const ProcessEnvironment env;
  return env;
}

std::optional<std::string> FixedEnvironment::get(std::string_view name) const {
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

Result<ConnInfo> resolve(ConnInfo ci, const Environment& env) {
  for (const auto& kw : detail::keywords()) {
    if (kw.env.empty() || kw.is_set(ci)) continue;
    auto value = env.get(kw.env);
    if (!value) continue;
    if (auto r = kw.set(ci, kw.name, *value); !r) {
      return make_error(r.error().category(),
                        r.error().message() + " (from environment variable " + std::string(kw.env) + ")");
    }
  }
  // libpq still honours the deprecated PGREQUIRESSL=1 when nothing else set sslmode.
  if (!ci.sslmode) {
    if (auto v = env.get("PGREQUIRESSL"); v && v->starts_with('1')) ci.sslmode = SslMode::require;
  }

  if (!given(ci.user)) {
    auto os_user = env.os_user_name();
    if (!os_user || os_user->empty()) {
      return make_error(ErrorCategory::config, "could not determine the operating system user name; set user or PGUSER");
    }
    ci.user = std::move(*os_user);
  }
  if (!given(ci.dbname)) ci.dbname = ci.user;
  if (!given(ci.passfile)) {
    if (auto home = env.home_directory(); home && !home->empty()) {
      ci.passfile = *home + "/.pgpass";
    } else {
      ci.passfile.reset();
    }
  }
  if (!list_given(ci.hosts) && !list_given(ci.hostaddrs)) ci.hosts = std::vector<std::string>{std::string(kDefaultSocketDir)};
  if (!ci.ports) ci.ports = std::vector<std::uint16_t>{kDefaultPort};

  // An explicit sslmode can only be weaker than verify-full by mistake with the system store.
  if (!ci.sslmode) ci.sslmode = ci.sslrootcert == "system" ? SslMode::verify_full : SslMode::prefer;
  if (!ci.sslnegotiation) ci.sslnegotiation = SslNegotiation::postgres;
  if (!ci.sslcertmode) ci.sslcertmode = SslCertMode::allow;
  if (!ci.sslsni) ci.sslsni = true;
  if (!ci.sslcompression) ci.sslcompression = false;
  if (!ci.ssl_min_protocol_version) ci.ssl_min_protocol_version = TlsVersion::tls1_2;
  if (!ci.channel_binding) ci.channel_binding = ChannelBinding::prefer;
  if (!ci.gssencmode) ci.gssencmode = GssEncMode::disable;  // libpq's default without GSSAPI
  if (!ci.target_session_attrs) ci.target_session_attrs = TargetSessionAttrs::any;
  if (!ci.load_balance_hosts) ci.load_balance_hosts = LoadBalanceHosts::disable;
  if (!ci.keepalives) ci.keepalives = true;
  if (!ci.krbsrvname) ci.krbsrvname = "postgres";
  if (!ci.min_protocol_version) ci.min_protocol_version = kProtocol30;

  if (auto r = check_combinations(ci); !r) return std::unexpected(r.error());
  if (auto eps = make_endpoints(ci); !eps) return std::unexpected(eps.error());
  return ci;
}

std::string Endpoint::unix_socket_path() const { return host + "/.s.PGSQL." + std::to_string(port); }

std::string_view Endpoint::address() const noexcept { return hostaddr.empty() ? host : hostaddr; }

Result<std::vector<Endpoint>> make_endpoints(const ConnInfo& ci, std::uint64_t shuffle_seed) {
  bool have_hosts = list_given(ci.hosts);
  bool have_addrs = list_given(ci.hostaddrs);
  std::size_t n = 1;
  if (have_addrs) {
    n = ci.hostaddrs->size();
    if (have_hosts && ci.hosts->size() != n) {
      return make_error(ErrorCategory::config, "could not match " + std::to_string(ci.hosts->size()) + " host names to " +
                                                   std::to_string(n) + " hostaddr values");
    }
  } else if (have_hosts) {
    n = ci.hosts->size();
  }
  bool have_ports = list_given(ci.ports);
  if (have_ports && ci.ports->size() != 1 && ci.ports->size() != n) {
    return make_error(ErrorCategory::config, "could not match " + std::to_string(ci.ports->size()) +
                                                 " port numbers to " + std::to_string(n) + " hosts");
  }

  std::vector<Endpoint> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    Endpoint ep;
    ep.host = have_hosts ? (*ci.hosts)[i] : std::string{};
    ep.hostaddr = have_addrs ? (*ci.hostaddrs)[i] : std::string{};
    if (have_ports) {
      std::uint16_t p = ci.ports->size() == 1 ? (*ci.ports)[0] : (*ci.ports)[i];
      ep.port = p != 0 ? p : kDefaultPort;
    }
    if (!ep.hostaddr.empty()) {
      ep.kind = EndpointKind::tcp;
    } else if (!ep.host.empty()) {
      ep.kind = (ep.host.front() == '/' || ep.host.front() == '@') ? EndpointKind::unix_socket : EndpointKind::tcp;
    } else {
      ep.kind = EndpointKind::unix_socket;
      ep.host = std::string(kDefaultSocketDir);
    }
    out.push_back(std::move(ep));
  }

  if (ci.load_balance_hosts == LoadBalanceHosts::random && out.size() > 1) {
    // Fisher-Yates with our own index draw: std::shuffle and the distributions are not
    // specified exactly, and a seed must give the same order everywhere.
    std::mt19937_64 rng(shuffle_seed);
    for (std::size_t i = out.size() - 1; i > 0; --i) {
      std::uint64_t bound = i + 1;
      std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
      std::uint64_t r = rng();
      while (r >= limit) r = rng();
      std::swap(out[i], out[static_cast<std::size_t>(r % bound)]);
    }
  }
  return out;
}

}  // namespace pgstream::client
