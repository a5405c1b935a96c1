#include "pgstream/protocol/backend_query.hpp"

#include <array>
#include <charconv>
#include <string>

namespace pgstream::protocol {

namespace detail {

std::unexpected<Error> unexpected_body(char type, std::size_t size) {
  return malformed(type, std::to_string(size) + " body bytes where none are allowed");
}

}  // namespace detail

namespace {

// The whole of `s` as a decimal number, or nullopt.
std::optional<std::uint64_t> parse_count(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<CommandComplete> CommandComplete::parse(const Frame& frame) {
  if (frame.type != 'C') return detail::wrong_type("CommandComplete", frame.type);
  const std::span<const std::byte> b = frame.body;
  const std::size_t nul = detail::find_nul(b, 0);
  if (nul == detail::npos) return detail::malformed('C', "command tag has no NUL terminator");
  if (nul + 1 != b.size()) return detail::malformed('C', "bytes left over after the command tag");

  CommandComplete c;
  c.tag_ = detail::chars(b.data(), nul);
  c.command_ = c.tag_;
  const std::size_t space = c.tag_.find(' ');
  if (space == std::string_view::npos) return c;
  const std::string_view word = c.tag_.substr(0, space);
  std::string_view counts = c.tag_.substr(space + 1);
  if (word == "INSERT") {
    // "INSERT oid rows": the oid is always 0 since PostgreSQL 12 but still sent.
    const std::size_t second = counts.find(' ');
    if (second == std::string_view::npos || !parse_count(counts.substr(0, second))) return c;
    counts = counts.substr(second + 1);
  } else {
    static constexpr std::array<std::string_view, 7> with_count = {"SELECT", "UPDATE", "DELETE", "MERGE",
                                                                   "FETCH", "MOVE", "COPY"};
    bool known = false;
    for (std::string_view w : with_count) known = known || w == word;
    if (!known) return c;
  }
  if (auto rows = parse_count(counts)) {
    c.command_ = word;
    c.rows_ = rows;
  }
  return c;
}

Result<ReadyForQuery> ReadyForQuery::parse(const Frame& frame) {
  if (frame.type != 'Z') return detail::wrong_type("ReadyForQuery", frame.type);
  if (frame.body.size() != 1) {
    return detail::malformed('Z', "body of " + std::to_string(frame.body.size()) + " bytes instead of 1");
  }
  const char s = static_cast<char>(frame.body[0]);
  if (s != 'I' && s != 'T' && s != 'E') {
    return detail::malformed('Z', "transaction status byte is not 'I', 'T' or 'E'");
  }
  ReadyForQuery r;
  r.status_ = static_cast<TransactionStatus>(s);
  return r;
}

Result<ParameterDescription> ParameterDescription::parse(const Frame& frame) {
  if (frame.type != 't') return detail::wrong_type("ParameterDescription", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 2) return detail::malformed('t', "body shorter than its 2-byte parameter count");
  const std::uint16_t count = detail::load_u16(b.data());
  if (b.size() != 2 + std::size_t{4} * count) {
    return detail::malformed('t', std::to_string(count) + " parameter types need " +
                                      std::to_string(2 + std::size_t{4} * count) + " body bytes, got " +
                                      std::to_string(b.size()));
  }
  ParameterDescription d;
  d.oids_ = b.data() + 2;
  d.count_ = count;
  return d;
}

Result<FunctionCallResponse> FunctionCallResponse::parse(const Frame& frame) {
  if (frame.type != 'V') return detail::wrong_type("FunctionCallResponse", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 4) return detail::malformed('V', "body shorter than its 4-byte value length");
  const std::int32_t n = detail::load_i32(b.data());
  FunctionCallResponse r;
  if (n == -1) {
    if (b.size() != 4) return detail::malformed('V', "bytes after a NULL result");
    return r;
  }
  if (n < 0) return detail::malformed('V', "negative result length other than -1 (NULL)");
  if (b.size() - 4 != static_cast<std::size_t>(n)) {
    return detail::malformed('V', "result length " + std::to_string(n) + " does not match the " +
                                      std::to_string(b.size() - 4) + " bytes that follow");
  }
  r.value_ = b.subspan(4);
  r.null_ = false;
  return r;
}

}  // namespace pgstream::protocol
