#include "pgstream/protocol/backend_startup.hpp"

#include <string>

namespace pgstream::protocol {

namespace {

Result<Authentication> exactly(const Frame& frame, std::size_t size, std::string_view what) {
  return detail::malformed('R', std::string(what) + " with a body of " + std::to_string(frame.body.size()) +
                                    " bytes instead of " + std::to_string(size));
}

}  // namespace

std::string auth_request_name(std::int32_t code) {
  std::string_view name;
  switch (code) {
    case 0: name = "AuthenticationOk"; break;
    case 2: name = "AuthenticationKerberosV5"; break;
    case 3: name = "AuthenticationCleartextPassword"; break;
    case 5: name = "AuthenticationMD5Password"; break;
    case 6: name = "AuthenticationSCMCredential"; break;
    case 7: name = "AuthenticationGSS"; break;
    case 8: name = "AuthenticationGSSContinue"; break;
    case 9: name = "AuthenticationSSPI"; break;
    case 10: name = "AuthenticationSASL"; break;
    case 11: name = "AuthenticationSASLContinue"; break;
    case 12: name = "AuthenticationSASLFinal"; break;
    default: return "authentication request code " + std::to_string(code);
  }
  return std::string(name) + " (" + std::to_string(code) + ")";
}

Result<Authentication> Authentication::parse(const Frame& frame) {
  if (frame.type != 'R') return detail::wrong_type("Authentication", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 4) return detail::malformed('R', "body shorter than its 4-byte request code");
  const std::int32_t code = detail::load_i32(b.data());
  const std::span<const std::byte> rest = b.subspan(4);
  Authentication a;
  a.request_ = static_cast<AuthRequest>(code);
  switch (code) {
    case 0:
    case 3:
    case 7:
    case 9:
      if (!rest.empty()) {
        return exactly(frame, 4, "request " + std::to_string(code));
      }
      return a;
    case 5:
      if (rest.size() != 4) return exactly(frame, 8, "MD5 password request");
      a.data_ = rest;
      return a;
    case 8:
    case 11:
    case 12:
      a.data_ = rest;
      return a;
    case 10: {
      // Names, each NUL-terminated, then an empty name (a lone NUL) ending the list and the body.
      std::size_t pos = 0;
      for (;;) {
        const std::size_t nul = detail::find_nul(rest, pos);
        if (nul == detail::npos) return detail::malformed('R', "SASL mechanism list is not NUL-terminated");
        if (nul == pos) break;
        pos = nul + 1;
      }
      if (pos + 1 != rest.size()) return detail::malformed('R', "bytes left over after the SASL mechanism list");
      a.data_ = rest.first(pos);
      return a;
    }
    case 2:
      return make_error(ErrorCategory::unsupported,
                        "server requested " + auth_request_name(code) +
                            ", Kerberos V5 authentication, which PostgreSQL dropped in 9.3; "
                            "use GSSAPI, SCRAM or another method in pg_hba.conf");
    case 6:
      return make_error(ErrorCategory::unsupported,
                        "server requested " + auth_request_name(code) +
                            ", SCM credential authentication, which pgstream does not support; "
                            "use peer authentication over a Unix socket or another method in pg_hba.conf");
    default:
      return make_error(ErrorCategory::unsupported, "server requested " + auth_request_name(code) +
                                                        ", which pgstream does not know; change pg_hba.conf");
  }
}

Result<BackendKeyData> BackendKeyData::parse(const Frame& frame) {
  if (frame.type != 'K') return detail::wrong_type("BackendKeyData", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 4 + min_key_size || b.size() > 4 + max_key_size) {
    return detail::malformed('K', "secret key of " + std::to_string(b.size() < 4 ? 0 : b.size() - 4) +
                                      " bytes (must be 4 to 256)");
  }
  BackendKeyData k;
  k.pid_ = detail::load_i32(b.data());
  k.key_ = b.subspan(4);
  return k;
}

Result<ParameterStatus> ParameterStatus::parse(const Frame& frame) {
  if (frame.type != 'S') return detail::wrong_type("ParameterStatus", frame.type);
  const std::span<const std::byte> b = frame.body;
  const std::size_t name_end = detail::find_nul(b, 0);
  if (name_end == detail::npos) return detail::malformed('S', "parameter name has no NUL terminator");
  const std::size_t value_end = detail::find_nul(b, name_end + 1);
  if (value_end == detail::npos) return detail::malformed('S', "parameter value has no NUL terminator");
  if (value_end + 1 != b.size()) return detail::malformed('S', "bytes left over after the parameter value");
  ParameterStatus s;
  s.name_ = detail::chars(b.data(), name_end);
  s.value_ = detail::chars(b.data() + name_end + 1, value_end - name_end - 1);
  return s;
}

Result<NegotiateProtocolVersion> NegotiateProtocolVersion::parse(const Frame& frame) {
  if (frame.type != 'v') return detail::wrong_type("NegotiateProtocolVersion", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 8) return detail::malformed('v', "body shorter than its version and option count");
  NegotiateProtocolVersion n;
  n.version_ = detail::load_i32(b.data());
  const std::int32_t count = detail::load_i32(b.data() + 4);
  // Each name takes at least its NUL.
  if (count < 0 || static_cast<std::size_t>(count) > b.size() - 8) {
    return detail::malformed('v', "option count " + std::to_string(count) + " does not fit in the body");
  }
  std::size_t pos = 8;
  for (std::int32_t i = 0; i < count; ++i) {
    const std::size_t nul = detail::find_nul(b, pos);
    if (nul == detail::npos) return detail::malformed_item('v', "option", static_cast<std::size_t>(i), "has no NUL terminator");
    pos = nul + 1;
  }
  if (pos != b.size()) return detail::malformed('v', "bytes left over after the option names");
  n.count_ = static_cast<std::size_t>(count);
  n.options_ = detail::CStringRange(b.data() + 8, b.data() + pos);
  return n;
}

}  // namespace pgstream::protocol
