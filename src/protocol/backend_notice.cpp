#include "pgstream/protocol/backend_notice.hpp"

#include <string>

namespace pgstream::protocol {

Result<std::span<const std::byte>> NoticeFields::validate(const Frame& frame) {
  const std::span<const std::byte> b = frame.body;
  std::size_t pos = 0;
  std::size_t index = 0;
  for (;;) {
    if (pos >= b.size()) return detail::malformed(frame.type, "field list has no terminating 0 byte");
    if (b[pos] == std::byte{0}) break;
    const std::size_t nul = detail::find_nul(b, pos + 1);
    if (nul == detail::npos) return detail::malformed_item(frame.type, "field", index, "has no NUL terminator");
    pos = nul + 1;
    ++index;
  }
  if (pos + 1 != b.size()) return detail::malformed(frame.type, "bytes left over after the field list");
  return b;
}

std::string_view NoticeFields::field(char code) const noexcept {
  for (NoticeField f : *this) {
    if (f.code == code) return f.value;
  }
  return {};
}

bool NoticeFields::has(char code) const noexcept {
  for (NoticeField f : *this) {
    if (f.code == code) return true;
  }
  return false;
}

std::string_view NoticeFields::severity() const noexcept {
  std::string_view localized;
  for (NoticeField f : *this) {
    if (f.code == 'V') return f.value;
    if (f.code == 'S' && localized.empty()) localized = f.value;
  }
  return localized;
}

ServerErrorFields NoticeFields::to_fields() const {
  ServerErrorFields out;
  std::string_view localized;
  bool have_v = false;
  for (NoticeField f : *this) {
    std::string* slot = nullptr;
    switch (f.code) {
      case 'V': have_v = true; slot = &out.severity; break;
      case 'S': if (localized.empty()) localized = f.value; break;
      case 'C': slot = &out.sqlstate; break;
      case 'M': slot = &out.message; break;
      case 'D': slot = &out.detail; break;
      case 'H': slot = &out.hint; break;
      case 'P': slot = &out.position; break;
      case 'p': slot = &out.internal_position; break;
      case 'q': slot = &out.internal_query; break;
      case 'W': slot = &out.where; break;
      case 's': slot = &out.schema; break;
      case 't': slot = &out.table; break;
      case 'c': slot = &out.column; break;
      case 'd': slot = &out.data_type; break;
      case 'n': slot = &out.constraint; break;
      case 'F': slot = &out.file; break;
      case 'L': slot = &out.line; break;
      case 'R': slot = &out.routine; break;
      default: break;  // the protocol says to ignore codes we do not know
    }
    if (slot != nullptr && slot->empty()) slot->assign(f.value);
  }
  if (!have_v) out.severity.assign(localized);
  return out;
}

Error NoticeFields::to_error() const { return Error(to_fields()); }

Result<ErrorResponse> ErrorResponse::parse(const Frame& frame) {
  if (frame.type != 'E') return detail::wrong_type("ErrorResponse", frame.type);
  auto body = validate(frame);
  if (!body) return std::unexpected(std::move(body.error()));
  return ErrorResponse(*body);
}

Result<NoticeResponse> NoticeResponse::parse(const Frame& frame) {
  if (frame.type != 'N') return detail::wrong_type("NoticeResponse", frame.type);
  auto body = validate(frame);
  if (!body) return std::unexpected(std::move(body.error()));
  return NoticeResponse(*body);
}

Result<NotificationResponse> NotificationResponse::parse(const Frame& frame) {
  if (frame.type != 'A') return detail::wrong_type("NotificationResponse", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 4) return detail::malformed('A', "body shorter than its 4-byte process id");
  const std::size_t channel_end = detail::find_nul(b, 4);
  if (channel_end == detail::npos) return detail::malformed('A', "channel name has no NUL terminator");
  const std::size_t payload_end = detail::find_nul(b, channel_end + 1);
  if (payload_end == detail::npos) return detail::malformed('A', "payload has no NUL terminator");
  if (payload_end + 1 != b.size()) return detail::malformed('A', "bytes left over after the payload");
  NotificationResponse n;
  n.pid_ = detail::load_i32(b.data());
  n.channel_ = detail::chars(b.data() + 4, channel_end - 4);
  n.payload_ = detail::chars(b.data() + channel_end + 1, payload_end - channel_end - 1);
  return n;
}

}  // namespace pgstream::protocol
