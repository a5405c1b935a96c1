#pragma once
// Rows for one InsertStatement, collected as the RowEncoder writes them, then encoded as Bind +
// Execute messages straight into any ByteSink (the connection's send buffer, a registered io_uring
// buffer through SpanSink).
//
//   InsertBatch batch(statement);
//   encoder.append_row(batch.row_sink());          // one COPY tuple per line, as for COPY
//   if (auto r = batch.commit_row(); !r) ...
//   counts.superseded += batch.dedupe();           // update mode: last row of a key wins
//   frontend::parse(sink, "ins1", statement.sql);  // once per connection and statement
//   batch.encode(sink, "ins1");  frontend::sync(sink);
//   InsertReplyTally tally(statement);  for each reply frame up to ReadyForQuery: tally.add(frame)
//   counts += tally.counts(batch.rows());
//
// The batch keeps its buffers after clear(): no allocation per row once they have grown.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/load/insert_statement.hpp"
#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/protocol/frontend_frame.hpp"
#include "pgstream/protocol/frontend_messages.hpp"
#include "pgstream/result.hpp"

namespace pgstream::load {

struct InsertCounts {
  std::uint64_t inserted = 0;
  std::uint64_t updated = 0;     // update mode: an existing row took the new values
  std::uint64_t skipped = 0;     // do_nothing mode: the key existed (or came earlier in the batch)
  std::uint64_t superseded = 0;  // update mode: a later row of the same batch had the same key
  InsertCounts& operator+=(const InsertCounts& o) noexcept {
    inserted += o.inserted;
    updated += o.updated;
    skipped += o.skipped;
    superseded += o.superseded;
    return *this;
  }
  friend bool operator==(const InsertCounts&, const InsertCounts&) = default;
};

class InsertBatch {
 public:
  // `statement` must outlive the batch.
  explicit InsertBatch(const InsertStatement& statement);

  // Where the next row goes: exactly one COPY tuple of the statement's columns, in its format
  // (binary: Int16 count, then Int32 length or -1 and bytes per field; text: tab-separated fields,
  // \N for NULL, a final newline). RowEncoder::append_row writes exactly that.
  [[nodiscard]] std::string& row_sink() noexcept { return data_; }
  // Takes the tuple appended since the last commit_row(). A tuple that does not parse, or has not
  // one field per column, is dropped and is an ErrorCategory::encode error.
  [[nodiscard]] Result<void> commit_row();

  [[nodiscard]] std::size_t rows() const noexcept { return origin_.size(); }
  [[nodiscard]] bool empty() const noexcept { return origin_.empty(); }
  [[nodiscard]] std::size_t bytes() const noexcept { return data_.size(); }  // to cap a batch's size
  // The position, in commit order, of the row now at `row` (dedupe() removes rows), so the caller
  // can map rows back to input lines.
  [[nodiscard]] std::size_t origin(std::size_t row) const noexcept { return origin_[row]; }

  // Update mode with the whole key present: keeps only the last row of each key value, so the
  // server never sees one key twice in a statement ("ON CONFLICT DO UPDATE command cannot affect
  // row a second time"). Returns how many rows were dropped. Keys compare by their encoded bytes:
  // exact for integers, text, uuid, timestamps, dates, bool; values the server finds equal with
  // other bytes (numeric 1.0 vs 1.00, float -0 vs 0, a nondeterministic collation) are not merged,
  // and such a batch fails on the server. Rows with a NULL key column never conflict and stay.
  std::size_t dedupe();

  // Bind and Execute for the rows (all rows, or those listed, in the order listed), without Sync:
  // unnest shape, one Bind of arrays; values shape, one Bind and Execute per row. An empty
  // selection writes nothing. On an encode error (a message over 2 GiB) the sink is as it was.
  // A SpanSink that runs out of room keeps nothing of the batch and stays overflowed(): send what
  // it holds, clear it, and encode the batch again (or a part of it, through `rows`).
  template <protocol::ByteSink S>
  [[nodiscard]] Result<void> encode(S& sink, std::string_view statement_name,
                                    std::optional<std::span<const std::uint32_t>> rows = std::nullopt) const;

  void clear() noexcept;
  // Empty, for rows of another statement; the buffers keep their capacity.
  void reset(const InsertStatement& statement) noexcept;

 private:
  struct Field {
    std::uint32_t offset = 0;
    std::int32_t length = -1;  // -1: NULL
  };
  [[nodiscard]] const Field& field(std::size_t row, std::size_t column) const noexcept {
    return fields_[row * columns_ + column];
  }
  [[nodiscard]] bool keys_equal(std::size_t a, std::size_t b) const noexcept;
  template <protocol::ByteSink S>
  void put_value(S& sink, const Field& f) const;
  template <protocol::ByteSink S>
  [[nodiscard]] Result<void> encode_unnest(S& sink, std::string_view statement_name,
                                           std::span<const std::uint32_t> rows) const;
  template <protocol::ByteSink S>
  [[nodiscard]] Result<void> encode_values(S& sink, std::string_view statement_name,
                                           std::span<const std::uint32_t> rows) const;

  const InsertStatement* statement_;
  std::size_t columns_;
  std::string data_;             // the tuples, back to back
  std::size_t committed_ = 0;    // bytes of data_ that belong to committed rows
  std::size_t committed_rows_ = 0;
  std::vector<Field> fields_;    // rows() x columns_
  std::vector<std::uint32_t> origin_;
  mutable std::vector<std::uint32_t> all_rows_;  // 0..rows()-1, for encode() without a selection
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order_;  // dedupe: (key hash, row)
  std::vector<std::uint8_t> drop_;
};

// How a key column's field is hashed so that equal values hash alike: by its bytes where equal
// values are equal bytes, else after the type's normalisation (binary numeric without its display
// scale and zero digit groups, floats with -0 as 0 and one NaN, char(n) without its padding).
enum class KeyHashing : std::uint8_t { bytes, numeric, float4, float8, bpchar };

// The hashing of each key column in `format`; nullopt when some column has no hashing that keeps
// equal values together (numeric, floats, char(n), uuid... in COPY text, or any other type): the
// loader then keeps such keys in one lane, the only way their lines stay in input order.
[[nodiscard]] std::optional<std::vector<KeyHashing>> key_hashing(const TableSchema& schema,
                                                                 std::span<const std::size_t> key_columns,
                                                                 CopyFormat format);

// A hash of the fields at `key_positions` of one COPY tuple (as RowEncoder::append_row writes it
// in `format`), equal for equal keys (`hashing`, parallel to key_positions; empty: bytes): the
// loader sends rows of one key over one connection, in input order. nullopt when a key field is
// NULL (such rows never conflict) or the tuple does not parse.
[[nodiscard]] std::optional<std::uint64_t> tuple_key_hash(std::string_view tuple, CopyFormat format,
                                                          std::span<const std::size_t> key_positions,
                                                          std::span<const KeyHashing> hashing = {}) noexcept;

// Reads the replies to one encoded batch (every frame after its Sync was sent, up to and
// including ReadyForQuery) and counts what happened to its rows.
class InsertReplyTally {
 public:
  explicit InsertReplyTally(const InsertStatement& statement) noexcept : statement_(&statement) {}

  // A malformed reply is an ErrorCategory::protocol error; an ErrorResponse is kept (error()).
  [[nodiscard]] Result<void> add(const protocol::Frame& frame);
  [[nodiscard]] bool done() const noexcept { return done_; }  // ReadyForQuery seen
  [[nodiscard]] const std::optional<Error>& error() const noexcept { return error_; }
  // Values shape: the position (in the rows sent) of the row whose Execute failed; nullopt for the
  // unnest shape, whose error names no row (split the batch to find it).
  [[nodiscard]] std::optional<std::size_t> failed_row() const noexcept;
  // With no error: `rows_sent` rows went out; those neither inserted nor updated were skipped.
  [[nodiscard]] InsertCounts counts(std::uint64_t rows_sent) const noexcept;

 private:
  const InsertStatement* statement_;
  std::uint64_t inserted_ = 0, touched_ = 0;  // touched: inserted or updated
  std::size_t executes_done_ = 0;
  std::optional<Error> error_;
  bool done_ = false;
};

// ---- encode() ----

namespace detail {
// COPY text escapes (\\, \n, \r, \t, and the other single-letter ones) undone.
template <protocol::ByteSink S>
void put_copy_unescaped(S& sink, std::string_view s) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) continue;
    protocol::put_bytes(sink, s.data() + run, i - run);
    char c = s[++i];
    switch (c) {
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'v': c = '\v'; break;
      default: break;
    }
    protocol::put_u8(sink, static_cast<std::uint8_t>(c));
    run = i + 1;
  }
  protocol::put_bytes(sink, s.data() + run, s.size() - run);
}
}  // namespace detail

template <protocol::ByteSink S>
void InsertBatch::put_value(S& sink, const Field& f) const {
  if (f.length < 0) {
    protocol::put_i32(sink, -1);
    return;
  }
  if (statement_->format == CopyFormat::binary) {
    protocol::put_i32(sink, f.length);
    protocol::put_bytes(sink, data_.data() + f.offset, static_cast<std::size_t>(f.length));
    return;
  }
  const std::size_t at = sink.size();
  protocol::put_i32(sink, 0);
  detail::put_copy_unescaped(sink, std::string_view(data_).substr(f.offset, static_cast<std::size_t>(f.length)));
  protocol::patch_i32(sink, at, static_cast<std::int32_t>(sink.size() - at - 4));
}

template <protocol::ByteSink S>
Result<void> InsertBatch::encode(S& sink, std::string_view statement_name,
                                 std::optional<std::span<const std::uint32_t>> rows) const {
  std::span<const std::uint32_t> selected;
  if (rows) {
    selected = *rows;
  } else {
    if (all_rows_.size() < this->rows()) {
      const auto from = static_cast<std::uint32_t>(all_rows_.size());
      all_rows_.resize(this->rows());
      for (std::uint32_t i = from; i < all_rows_.size(); ++i) all_rows_[i] = i;
    }
    selected = std::span<const std::uint32_t>(all_rows_).first(this->rows());
  }
  if (selected.empty()) return {};
  const std::size_t start = sink.size();
  auto r = statement_->shape == InsertShape::values ? encode_values(sink, statement_name, selected)
                                                    : encode_unnest(sink, statement_name, selected);
  if (!r) protocol::detail::undo(sink, start);
  else protocol::detail::drop_if_overflowed(sink, start);  // all of the batch or none of it
  return r;
}

template <protocol::ByteSink S>
Result<void> InsertBatch::encode_unnest(S& sink, std::string_view statement_name,
                                        std::span<const std::uint32_t> rows) const {
  namespace pd = protocol::detail;
  if (auto ok = pd::check_bind_head("", statement_name, 0); !ok) return ok;
  const std::size_t start = pd::begin_message(sink, 'B');
  pd::put_cstring(sink, "");
  pd::put_cstring(sink, statement_name);
  protocol::put_i16(sink, 1);  // one format code for all parameters: binary
  protocol::put_i16(sink, 1);
  pd::put_u16(sink, columns_);
  for (std::size_t c = 0; c < columns_; ++c) {
    // An array: Int32 length, then ndim, has-null flag, element oid, size, lower bound, elements.
    const std::size_t param_at = sink.size();
    protocol::put_i32(sink, 0);
    protocol::put_i32(sink, 1);
    const std::size_t null_flag_at = sink.size();
    protocol::put_i32(sink, 0);
    protocol::put_be<std::uint32_t>(sink, statement_->element_oids[c]);
    protocol::put_i32(sink, static_cast<std::int32_t>(rows.size()));
    protocol::put_i32(sink, 1);
    bool has_null = false;
    for (std::uint32_t r : rows) {
      const Field& f = field(r, c);
      has_null |= f.length < 0;
      put_value(sink, f);
    }
    if (has_null) protocol::patch_i32(sink, null_flag_at, 1);
    const std::size_t length = sink.size() - param_at - 4;
    if (length > protocol::max_message_length) [[unlikely]] {
      pd::undo(sink, start);
      return pd::length_error("Bind", length);
    }
    protocol::patch_i32(sink, param_at, static_cast<std::int32_t>(length));
  }
  pd::put_u16(sink, 0);  // results in text: one small row of counts at most
  if (auto r = pd::end_message(sink, start, "Bind"); !r) return r;
  return protocol::frontend::execute(sink);
}

template <protocol::ByteSink S>
Result<void> InsertBatch::encode_values(S& sink, std::string_view statement_name,
                                        std::span<const std::uint32_t> rows) const {
  namespace pd = protocol::detail;
  if (auto ok = pd::check_bind_head("", statement_name, 0); !ok) return ok;
  const std::int16_t format = statement_->format == CopyFormat::binary ? 1 : 0;
  for (std::uint32_t r : rows) {
    const std::size_t start = pd::begin_message(sink, 'B');
    pd::put_cstring(sink, "");
    pd::put_cstring(sink, statement_name);
    protocol::put_i16(sink, 1);
    protocol::put_i16(sink, format);
    pd::put_u16(sink, columns_);
    for (std::size_t c = 0; c < columns_; ++c) put_value(sink, field(r, c));
    pd::put_u16(sink, 0);
    if (auto res = pd::end_message(sink, start, "Bind"); !res) return res;
    if (auto res = protocol::frontend::execute(sink); !res) return res;
  }
  return {};
}

}  // namespace pgstream::load
