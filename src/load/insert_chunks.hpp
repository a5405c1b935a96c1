#pragma once
// One attempt of a `--mode insert` batch on one connection. The batch's rows go into an
// InsertBatch, then out as chunks that each fit what is left of the connection's send buffer:
// [Parse,] Bind, Execute (per row in the values shape), Sync. Each chunk is a request of its own,
// so the first one to fail names the rows to blame; all of them run inside the batch's
// BEGIN ... COMMIT, so a failed chunk rolls the whole batch back.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "pgstream/load/insert_batch.hpp"
#include "pgstream/load/insert_statement.hpp"
#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::load {

class InsertChunks {
 public:
  // A new attempt for rows of `statement` (which must outlive it); buffers are kept.
  void reset(const InsertStatement& statement);
  // One COPY tuple as RowEncoder::append_row wrote it for this statement's columns.
  [[nodiscard]] Result<void> add_row(std::string_view tuple);
  // Update mode: the last row of each key wins; returns how many rows were dropped.
  std::size_t dedupe() { return batch_.dedupe(); }

  // The most bytes one row can take in a chunk, beyond its COPY tuple (length words, Bind and
  // Execute of the values shape): what a row must leave room for in an empty send buffer.
  [[nodiscard]] static std::size_t row_overhead(std::size_t columns, std::size_t name_size) noexcept {
    return 4 * columns + 40 + name_size;
  }
  // What a chunk costs besides its rows.
  [[nodiscard]] static std::size_t chunk_overhead(const InsertStatement& statement, std::size_t name_size) noexcept {
    return statement.sql.size() + 2 * name_size + 32 * statement.columns.size() + 96;
  }

  enum class Write : std::uint8_t { wrote, no_room, all_sent };
  // Writes the next chunk into `sink`: Parse of the statement as `name` first when `parse`, then
  // Bind/Execute for as many of the unsent rows as fit, then Sync. no_room: not one more row fits
  // what is left of the sink (send it and try again). A protocol encode error is returned as is.
  [[nodiscard]] Result<Write> write_next(protocol::SpanSink& sink, std::string_view name, bool parse);
  [[nodiscard]] bool all_sent() const noexcept { return next_ == batch_.rows(); }

  // The replies of the chunk at the head of the connection's queue.
  [[nodiscard]] Result<void> on_frame(const protocol::Frame& frame);
  // That chunk's ReadyForQuery (ok) or its error.
  void on_complete(bool ok);
  [[nodiscard]] bool parse_confirmed() const noexcept { return parse_confirmed_; }
  // Rows of the chunks that succeeded (superseded is the caller's, from dedupe()).
  [[nodiscard]] const InsertCounts& counts() const noexcept { return counts_; }
  // After a failed chunk: the rows to blame as [first, last) in add_row() order: the one row
  // whose Execute failed (values shape), or the failed chunk's rows.
  [[nodiscard]] std::optional<std::pair<std::size_t, std::size_t>> blame() const noexcept { return blame_; }

 private:
  const InsertStatement* statement_ = nullptr;
  InsertBatch batch_{empty_statement()};
  std::vector<std::uint32_t> tuple_bytes_;  // per row in add_row() order
  std::vector<std::uint32_t> order_;        // 0, 1, 2 ... : row selections for encode()
  std::vector<std::pair<std::size_t, std::size_t>> chunks_;  // batch rows [from, to) of each chunk sent
  std::size_t next_ = 0;      // first batch row not sent yet
  std::size_t complete_ = 0;  // chunks answered
  InsertReplyTally tally_{empty_statement()};
  InsertCounts counts_;
  std::optional<std::pair<std::size_t, std::size_t>> blame_;
  bool parse_confirmed_ = false;

  static const InsertStatement& empty_statement() noexcept;
};

}  // namespace pgstream::load
