#pragma once
// libpq-compatible connection strings: keyword/value (`host=db port=5432 dbname='my db'`) and
// URIs (`postgresql://user@db:5432/mydb?sslmode=require`), PG* environment variables, libpq's
// built-in defaults, and the ordered list of endpoints to try. Pure: nothing here opens a socket.
//
// Passwords (`password`, `sslpassword`) never appear in an error message nor in
// ConnInfo::to_string_redacted(); keep it that way when adding code.

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::client {

// Debian's libpq is built with this socket directory; we follow the platform's psql.
inline constexpr std::string_view kDefaultSocketDir = "/var/run/postgresql";
inline constexpr std::uint16_t kDefaultPort = 5432;

enum class SslMode : std::uint8_t { disable, allow, prefer, require, verify_ca, verify_full };
enum class SslNegotiation : std::uint8_t { postgres, direct };
enum class SslCertMode : std::uint8_t { disable, allow, require };
enum class ChannelBinding : std::uint8_t { disable, prefer, require };
enum class GssEncMode : std::uint8_t { disable, prefer, require };
enum class TargetSessionAttrs : std::uint8_t { any, read_write, read_only, primary, standby, prefer_standby };
enum class LoadBalanceHosts : std::uint8_t { disable, random };
enum class TlsVersion : std::uint8_t { tls1_0, tls1_1, tls1_2, tls1_3 };

// The wire protocol version (StartupMessage carries major << 16 | minor).
struct ProtocolVersion {
  std::uint16_t major = 3;
  std::uint16_t minor = 0;
  friend auto operator<=>(const ProtocolVersion&, const ProtocolVersion&) = default;
};
inline constexpr ProtocolVersion kProtocol30{3, 0};
inline constexpr ProtocolVersion kProtocol32{3, 2};
inline constexpr ProtocolVersion kProtocolLatest = kProtocol32;  // what "latest" means

enum class AuthMethod : std::uint8_t { password, md5, gss, sspi, scram_sha_256, oauth, none };

// require_auth as libpq 16+: either a list of methods of which the server must use exactly one,
// or (negated, every item written with '!') a list of methods the server must not use.
// `none` stands for "no authentication request at all".
struct RequireAuth {
  bool negated = false;
  std::uint8_t methods = 0;  // bit (1 << AuthMethod)

  [[nodiscard]] constexpr bool lists(AuthMethod m) const noexcept {
    return (methods & (1u << static_cast<unsigned>(m))) != 0;
  }
  // Whether the server may authenticate the client with `m`.
  [[nodiscard]] constexpr bool permits(AuthMethod m) const noexcept {
    return negated ? !lists(m) : lists(m);
  }
  friend bool operator==(const RequireAuth&, const RequireAuth&) = default;
};

[[nodiscard]] std::string_view to_string(SslMode) noexcept;
[[nodiscard]] std::string_view to_string(SslNegotiation) noexcept;
[[nodiscard]] std::string_view to_string(SslCertMode) noexcept;
[[nodiscard]] std::string_view to_string(ChannelBinding) noexcept;
[[nodiscard]] std::string_view to_string(GssEncMode) noexcept;
[[nodiscard]] std::string_view to_string(TargetSessionAttrs) noexcept;
[[nodiscard]] std::string_view to_string(LoadBalanceHosts) noexcept;
[[nodiscard]] std::string_view to_string(TlsVersion) noexcept;
[[nodiscard]] std::string_view to_string(AuthMethod) noexcept;
[[nodiscard]] std::string to_string(ProtocolVersion);
[[nodiscard]] std::string to_string(const RequireAuth&);

// Every libpq keyword pgstream accepts, typed. std::nullopt means "not given": the environment
// and then the built-in default decide. A given-but-empty string is kept as given (as libpq
// does, it then blocks the environment variable, and for host/port/user/dbname means "default").
struct ConnInfo {
  // Comma lists, as `host=a,b`; an empty item means "the default" for that position.
  std::optional<std::vector<std::string>> hosts;
  std::optional<std::vector<std::string>> hostaddrs;
  std::optional<std::vector<std::uint16_t>> ports;  // 0 = empty item = kDefaultPort

  std::optional<std::string> dbname;
  std::optional<std::string> user;
  std::optional<std::string> password;  // secret
  std::optional<std::string> passfile;
  std::optional<RequireAuth> require_auth;
  std::optional<ChannelBinding> channel_binding;
  std::optional<int> connect_timeout;  // seconds; <= 0 means wait forever
  std::optional<std::string> client_encoding;
  std::optional<std::string> options;
  std::optional<std::string> application_name;
  std::optional<std::string> fallback_application_name;
  std::optional<bool> keepalives;
  std::optional<int> keepalives_idle;      // seconds, 0 = system default
  std::optional<int> keepalives_interval;  // seconds, 0 = system default
  std::optional<int> keepalives_count;     // 0 = system default
  std::optional<int> tcp_user_timeout;     // milliseconds, 0 = system default
  std::optional<GssEncMode> gssencmode;
  std::optional<SslMode> sslmode;
  std::optional<SslNegotiation> sslnegotiation;
  std::optional<bool> sslcompression;
  std::optional<std::string> sslcert;
  std::optional<std::string> sslkey;
  std::optional<std::string> sslpassword;  // secret
  std::optional<SslCertMode> sslcertmode;
  std::optional<std::string> sslrootcert;  // "system" = the platform's trust store
  std::optional<std::string> sslcrl;
  std::optional<std::string> sslcrldir;
  std::optional<bool> sslsni;
  std::optional<std::string> requirepeer;
  std::optional<TlsVersion> ssl_min_protocol_version;
  std::optional<TlsVersion> ssl_max_protocol_version;
  std::optional<ProtocolVersion> min_protocol_version;
  std::optional<ProtocolVersion> max_protocol_version;
  std::optional<std::string> krbsrvname;
  std::optional<std::string> gsslib;  // accepted for compatibility; libpq ignores it off Windows
  std::optional<TargetSessionAttrs> target_session_attrs;
  std::optional<LoadBalanceHosts> load_balance_hosts;

  // Keyword/value form of every given field, for logs: `password` and `sslpassword` are shown
  // as ********. Parsing the result gives back this ConnInfo except for those two values.
  [[nodiscard]] std::string to_string_redacted() const;

  // application_name if given (string or PGAPPNAME), else fallback_application_name.
  [[nodiscard]] std::optional<std::string> effective_application_name() const;

  friend bool operator==(const ConnInfo&, const ConnInfo&) = default;
};

// Parses a keyword/value string or a postgresql:// / postgres:// URI. Only what the string says
// is set; see resolve() for the environment and defaults. Errors are ErrorCategory::config (a
// malformed string or value) or ErrorCategory::unsupported (a libpq keyword pgstream does not
// implement, such as service or replication), one line, naming the keyword.
[[nodiscard]] Result<ConnInfo> parse_conninfo(std::string_view conninfo);

// Where resolve() reads PG* variables and the OS user; tests inject a FixedEnvironment.
class Environment {
 public:
  virtual ~Environment() = default;
  [[nodiscard]] virtual std::optional<std::string> get(std::string_view name) const = 0;
  // Name of the effective OS user (libpq's default user name).
  [[nodiscard]] virtual std::optional<std::string> os_user_name() const = 0;
  // $HOME, else the user's home directory from the password database.
  [[nodiscard]] virtual std::optional<std::string> home_directory() const = 0;
};

// getenv and getpwuid_r(geteuid()).
[[nodiscard]] const Environment& process_environment();

class FixedEnvironment final : public Environment {
 public:
  std::map<std::string, std::string, std::less<>> vars;
  std::optional<std::string> user;
  std::optional<std::string> home;

  [[nodiscard]] std::optional<std::string> get(std::string_view name) const override;
  [[nodiscard]] std::optional<std::string> os_user_name() const override { return user; }
  [[nodiscard]] std::optional<std::string> home_directory() const override { return home; }
};

// Fills every field the string left unset from its PG* environment variable, then from libpq's
// built-in defaults (user = OS user, dbname = user, host = kDefaultSocketDir, port 5432,
// sslmode prefer (verify-full with sslrootcert=system), passfile ~/.pgpass, ...), and checks
// the combinations libpq rejects (host/hostaddr/port list lengths, sslnegotiation=direct with a
// weak sslmode, min > max protocol versions, ...). The password stays unset when none was
// given: look it up per endpoint in the password file (pgpass.hpp).
[[nodiscard]] Result<ConnInfo> resolve(ConnInfo parsed, const Environment& env = process_environment());

enum class EndpointKind : std::uint8_t { tcp, unix_socket };

struct Endpoint {
  EndpointKind kind = EndpointKind::tcp;
  // TCP: the host name as given (for TLS SNI, verify-full and the password file), empty when
  // only hostaddr was given. Unix: the socket directory, or an abstract name starting with '@'.
  std::string host;
  // TCP: the numeric address to connect to instead of resolving `host`; empty = resolve host.
  std::string hostaddr;
  std::uint16_t port = kDefaultPort;

  // "<dir>/.s.PGSQL.<port>" (for '@' names the leading '@' stands for the abstract namespace).
  [[nodiscard]] std::string unix_socket_path() const;
  // hostaddr if given, else host: what to connect to, and to name in messages.
  [[nodiscard]] std::string_view address() const noexcept;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The endpoints to try, in order. With load_balance_hosts=random the order is a shuffle drawn
// from `shuffle_seed` (the same seed gives the same order); otherwise the given order.
// Expects a resolve()d ConnInfo, but works on any (missing fields take their defaults).
[[nodiscard]] Result<std::vector<Endpoint>> make_endpoints(const ConnInfo& info, std::uint64_t shuffle_seed = 0);

}  // namespace pgstream::client
