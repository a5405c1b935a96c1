#include "insert_chunks.hpp"

#include <algorithm>

#include "pgstream/protocol/frontend.hpp"

namespace pgstream::load {

const InsertStatement& InsertChunks::empty_statement() noexcept {
  static const InsertStatement none;
  return none;
}

void InsertChunks::reset(const InsertStatement& statement) {
  statement_ = &statement;
  batch_.reset(statement);
  tally_ = InsertReplyTally(statement);
  tuple_bytes_.clear();
  chunks_.clear();
  next_ = complete_ = 0;
  counts_ = {};
  blame_.reset();
  parse_confirmed_ = false;
}

Result<void> InsertChunks::add_row(std::string_view tuple) {
  batch_.row_sink().append(tuple);
  if (auto r = batch_.commit_row(); !r) return r;
  tuple_bytes_.push_back(static_cast<std::uint32_t>(tuple.size()));
  return {};
}

Result<InsertChunks::Write> InsertChunks::write_next(protocol::SpanSink& sink, std::string_view name, bool parse) {
  const std::size_t rows = batch_.rows();
  if (next_ == rows) return Write::all_sent;
  const std::size_t overhead = chunk_overhead(*statement_, name.size());
  if (sink.remaining() <= overhead) return Write::no_room;
  // Rows while their bound fits: the bound is never below what encode() writes for the row.
  std::size_t room = sink.remaining() - overhead, end = next_;
  const std::size_t per_row = row_overhead(statement_->columns.size(), name.size());
  while (end < rows) {
    const std::size_t need = tuple_bytes_[batch_.origin(end)] + per_row;
    if (need > room) break;
    room -= need;
    ++end;
  }
  if (end == next_) return Write::no_room;
  if (order_.size() < rows) {
    const auto from = static_cast<std::uint32_t>(order_.size());
    order_.resize(rows);
    for (auto i = from; i < order_.size(); ++i) order_[i] = i;
  }
  const std::size_t start = sink.size();
  if (parse) {
    if (auto r = protocol::frontend::parse(sink, name, statement_->sql); !r) {
      protocol::rollback(sink, start);
      return std::unexpected(r.error());
    }
  }
  const std::span<const std::uint32_t> selection(order_.data() + next_, end - next_);
  if (auto r = batch_.encode(sink, name, selection); !r) {
    protocol::rollback(sink, start);
    return std::unexpected(r.error());
  }
  protocol::frontend::sync(sink);
  if (sink.overflowed()) {
    // Cannot happen while the bounds above hold; refusing beats sending half a chunk.
    protocol::rollback(sink, start);
    return make_error(ErrorCategory::encode, "insert chunk larger than its computed bound");
  }
  chunks_.emplace_back(next_, end);
  next_ = end;
  return Write::wrote;
}

Result<void> InsertChunks::on_frame(const protocol::Frame& frame) {
  if (frame.type == '1') parse_confirmed_ = true;
  return tally_.add(frame);
}

void InsertChunks::on_complete(bool ok) {
  if (complete_ >= chunks_.size()) return;
  const auto [from, to] = chunks_[complete_++];
  if (ok) {
    counts_ += tally_.counts(to - from);
  } else if (!blame_) {
    if (auto row = tally_.failed_row(); row && from + *row < to) {
      blame_.emplace(batch_.origin(from + *row), batch_.origin(from + *row) + 1);
    } else {
      blame_.emplace(batch_.origin(from), batch_.origin(to - 1) + 1);
    }
  }
  tally_ = InsertReplyTally(*statement_);
}

}  // namespace pgstream::load
