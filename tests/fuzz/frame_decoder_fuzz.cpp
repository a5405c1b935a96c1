// The frame decoder and every typed backend view, on arbitrary server bytes.
//
// Input: byte 0 = options (bit 0: tiny frame limits), bytes 1-2 = where the stream is split in
// two receives, the rest = the byte stream. The stream is decoded twice, whole and in two
// pieces as a connection would receive it; both must yield the same frames. Every complete frame
// is parsed with its typed view, and every byte a view hands out is read.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "pgstream/protocol/backend.hpp"

namespace {

namespace pf = pgstream::fuzz;
namespace pp = pgstream::protocol;
using pf::touch;

template <class View>
void parsed(const pgstream::Result<View>& r) {
  if (!r) pf::check_error(r.error());
}

void touch_notice(const pp::NoticeFields& n) {
  std::size_t count = 0;
  for (pp::NoticeField f : n) {
    PGSTREAM_FUZZ_CHECK(f.code != 0);
    touch(f.value);
    PGSTREAM_FUZZ_CHECK(n.has(f.code));
    ++count;
  }
  (void)count;
  touch(n.severity());
  touch(n.sqlstate());
  touch(n.message());
  touch(n.detail());
  touch(n.hint());
  touch(n.position());
  touch(n.where());
  touch(n.routine());
  const pgstream::ServerErrorFields fields = n.to_fields();
  // Duplicated codes: field() gives the first, to_fields() the first non-empty; they agree
  // whenever the first is non-empty.
  if (!n.sqlstate().empty()) PGSTREAM_FUZZ_CHECK(fields.sqlstate == n.sqlstate());
  if (!n.message().empty()) PGSTREAM_FUZZ_CHECK(fields.message == n.message());
  const pgstream::Error e = n.to_error();
  PGSTREAM_FUZZ_CHECK(e.category() == pgstream::ErrorCategory::server);
  touch(e.to_string());
}

// Parses `f` with the view its type byte names, and reads everything the view exposes.
void parse_frame(const pp::Frame& f) {
  touch(f.body);
  switch (static_cast<pp::BackendType>(f.type)) {
    case pp::BackendType::authentication: {
      auto a = pp::Authentication::parse(f);
      parsed(a);
      if (!a) break;
      if (a->request() == pp::AuthRequest::md5_password) touch(a->md5_salt());
      touch(a->data());
      touch(a->data_text());
      for (std::string_view m : a->sasl_mechanisms()) touch(m);
      (void)a->offers_mechanism("SCRAM-SHA-256");
      break;
    }
    case pp::BackendType::backend_key_data: {
      auto k = pp::BackendKeyData::parse(f);
      parsed(k);
      if (!k) break;
      PGSTREAM_FUZZ_CHECK(k->secret_key().size() >= pp::BackendKeyData::min_key_size &&
                          k->secret_key().size() <= pp::BackendKeyData::max_key_size);
      touch(k->secret_key());
      break;
    }
    case pp::BackendType::command_complete: {
      auto c = pp::CommandComplete::parse(f);
      parsed(c);
      if (!c) break;
      touch(c->tag());
      touch(c->command());
      PGSTREAM_FUZZ_CHECK(c->command().size() <= c->tag().size());
      (void)c->rows();
      break;
    }
    case pp::BackendType::copy_in_response:
    case pp::BackendType::copy_out_response:
    case pp::BackendType::copy_both_response: {
      auto c = pp::CopyResponse::parse(f);
      parsed(c);
      if (!c) break;
      for (std::size_t i = 0; i < c->column_count(); ++i) {
        const pp::Format fmt = c->column_format(i);
        PGSTREAM_FUZZ_CHECK(fmt == pp::Format::text || fmt == pp::Format::binary);
      }
      break;
    }
    case pp::BackendType::copy_data: {
      auto d = pp::CopyData::parse(f);
      parsed(d);
      if (d) touch(d->text());
      break;
    }
    case pp::BackendType::data_row: {
      auto row = pp::DataRow::parse(f);
      parsed(row);
      if (!row) break;
      std::size_t n = 0;
      pp::FieldValue last;
      for (pp::FieldValue v : *row) {
        PGSTREAM_FUZZ_CHECK(v.is_null() == (v.wire_length() == -1));
        touch(v.bytes());
        last = v;
        ++n;
      }
      PGSTREAM_FUZZ_CHECK(n == row->size());
      if (n > 0) {
        const pp::FieldValue again = (*row)[n - 1];
        PGSTREAM_FUZZ_CHECK(again.wire_length() == last.wire_length() &&
                            again.bytes().data() == last.bytes().data());
      }
      break;
    }
    case pp::BackendType::row_description: {
      auto rd = pp::RowDescription::parse(f);
      parsed(rd);
      if (!rd) break;
      std::size_t n = 0;
      for (const pp::ColumnDescription& c : *rd) {
        touch(c.name);
        PGSTREAM_FUZZ_CHECK(c.format == pp::Format::text || c.format == pp::Format::binary);
        ++n;
      }
      PGSTREAM_FUZZ_CHECK(n == rd->size());
      if (n > 0) touch((*rd)[n - 1].name);
      break;
    }
    case pp::BackendType::error_response: {
      auto e = pp::ErrorResponse::parse(f);
      parsed(e);
      if (e) touch_notice(*e);
      break;
    }
    case pp::BackendType::notice_response: {
      auto e = pp::NoticeResponse::parse(f);
      parsed(e);
      if (e) touch_notice(*e);
      break;
    }
    case pp::BackendType::function_call_response: {
      auto r = pp::FunctionCallResponse::parse(f);
      parsed(r);
      if (!r) break;
      PGSTREAM_FUZZ_CHECK(!r->is_null() || r->value().empty());
      touch(r->text());
      break;
    }
    case pp::BackendType::negotiate_protocol_version: {
      auto v = pp::NegotiateProtocolVersion::parse(f);
      parsed(v);
      if (!v) break;
      std::size_t n = 0;
      for (std::string_view o : v->unrecognized_options()) {
        touch(o);
        ++n;
      }
      PGSTREAM_FUZZ_CHECK(n == v->unrecognized_count());
      (void)v->newest_major();
      (void)v->newest_minor();
      break;
    }
    case pp::BackendType::notification_response: {
      auto n = pp::NotificationResponse::parse(f);
      parsed(n);
      if (!n) break;
      touch(n->channel());
      touch(n->payload());
      break;
    }
    case pp::BackendType::parameter_description: {
      auto d = pp::ParameterDescription::parse(f);
      parsed(d);
      if (!d) break;
      std::size_t n = 0;
      for (pp::Oid o : *d) {
        PGSTREAM_FUZZ_CHECK(o == (*d)[n]);
        ++n;
      }
      PGSTREAM_FUZZ_CHECK(n == d->size());
      break;
    }
    case pp::BackendType::parameter_status: {
      auto s = pp::ParameterStatus::parse(f);
      parsed(s);
      if (!s) break;
      touch(s->name());
      touch(s->value());
      break;
    }
    case pp::BackendType::ready_for_query: {
      auto r = pp::ReadyForQuery::parse(f);
      parsed(r);
      if (!r) break;
      const char s = static_cast<char>(r->status());
      PGSTREAM_FUZZ_CHECK(s == 'I' || s == 'T' || s == 'E');
      break;
    }
    case pp::BackendType::parse_complete: parsed(pp::ParseComplete::parse(f)); break;
    case pp::BackendType::bind_complete: parsed(pp::BindComplete::parse(f)); break;
    case pp::BackendType::close_complete: parsed(pp::CloseComplete::parse(f)); break;
    case pp::BackendType::no_data: parsed(pp::NoData::parse(f)); break;
    case pp::BackendType::empty_query_response: parsed(pp::EmptyQueryResponse::parse(f)); break;
    case pp::BackendType::portal_suspended: parsed(pp::PortalSuspended::parse(f)); break;
    case pp::BackendType::copy_done: parsed(pp::CopyDone::parse(f)); break;
  }
  // A view of the wrong type must refuse the frame, whatever its body.
  if (f.type != 'D') PGSTREAM_FUZZ_CHECK(!pp::DataRow::parse(f).has_value());
  if (f.type != 'Z') PGSTREAM_FUZZ_CHECK(!pp::ReadyForQuery::parse(f).has_value());
}

struct Decoded {
  std::vector<std::pair<char, std::int32_t>> frames;
  pp::FrameStatus end = pp::FrameStatus::need_more;
  pp::FrameError error = pp::FrameError::none;
};

// Decodes the frames at the front of buf[pos...]; returns false once the stream is broken.
bool drain(std::span<const std::byte> buf, std::size_t& pos, const pp::FrameLimits& limits, Decoded& out,
           bool parse) {
  while (true) {
    const std::span<const std::byte> in = buf.subspan(pos);
    const pp::FrameResult r = pp::next_frame(in, limits);
    out.end = r.status;
    switch (r.status) {
      case pp::FrameStatus::complete:
        PGSTREAM_FUZZ_CHECK(r.consumed() >= pp::Frame::header_size && r.consumed() <= in.size());
        PGSTREAM_FUZZ_CHECK(r.frame.body.data() == in.data() + pp::Frame::header_size);
        PGSTREAM_FUZZ_CHECK(r.frame.body.size() + pp::Frame::header_size == r.consumed());
        PGSTREAM_FUZZ_CHECK(!pp::backend_message_name(r.frame.type).empty());
        out.frames.emplace_back(r.frame.type, r.frame.length);
        if (parse) parse_frame(r.frame);
        pos += r.consumed();
        break;
      case pp::FrameStatus::need_more:
        PGSTREAM_FUZZ_CHECK(r.needed > 0);
        return true;
      case pp::FrameStatus::error:
        out.error = r.error;
        pf::check_error(r.to_error());
        return false;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pf::Input in(data, size);
  const std::uint8_t options = in.u8();
  const std::uint16_t split_at = in.u16();
  const std::span<const std::byte> stream = in.rest_bytes();

  pp::FrameLimits limits;
  if ((options & 1) != 0) {
    limits.max_control_length = 8;
    limits.max_metadata_length = 64;
    limits.max_data_length = 256;
  }

  // Whole: everything received at once.
  Decoded whole;
  std::size_t pos = 0;
  const bool intact = drain(stream, pos, limits, whole, true);
  const pp::FrameResult r = pp::next_frame(stream.subspan(pos), limits);
  // Whatever next_frame says is missing, given exactly, must finish the header or the frame
  // (checked up to a size worth allocating on every run).
  if (intact && whole.end == pp::FrameStatus::need_more && r.needed <= 64 * 1024) {
    const std::size_t have = stream.size() - pos;
    std::vector<std::byte> more(stream.begin() + static_cast<std::ptrdiff_t>(pos), stream.end());
    more.resize(have + r.needed, std::byte{0});
    const pp::FrameResult r2 = pp::next_frame(more, limits);
    if (have >= pp::Frame::header_size) {
      PGSTREAM_FUZZ_CHECK(r2.complete() && r2.consumed() == more.size());
    } else {
      // The header is now there: only the body may still be missing.
      PGSTREAM_FUZZ_CHECK(r2.status != pp::FrameStatus::need_more ||
                          r2.needed + more.size() == static_cast<std::size_t>(r2.frame.length) + 1);
    }
  }

  // Split: two receives into one growing buffer, as a connection reads.
  const std::size_t cut = stream.empty() ? 0 : split_at % (stream.size() + 1);
  Decoded split;
  std::vector<std::byte> buf(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut));
  pos = 0;
  if (drain(buf, pos, limits, split, false)) {
    buf.insert(buf.end(), stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end());
    (void)drain(buf, pos, limits, split, false);
  }
  PGSTREAM_FUZZ_CHECK(split.frames == whole.frames);
  PGSTREAM_FUZZ_CHECK(split.end == whole.end && split.error == whole.error);

  // The first bytes after an SSLRequest / GSSENCRequest.
  for (auto req : {pp::EncryptionRequest::ssl, pp::EncryptionRequest::gssenc}) {
    const pp::EncryptionAnswer a = pp::decode_encryption_answer(req, stream, limits);
    if (a.status == pp::EncryptionAnswerStatus::invalid) pf::check_error(a.to_error(req));
    if (a.status == pp::EncryptionAnswerStatus::server_error) parse_frame(a.error_frame);
    PGSTREAM_FUZZ_CHECK(a.consumed <= stream.size());
  }
  return 0;
}
