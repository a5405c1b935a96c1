#pragma once
// Parsing and encoding of JSON lines on several threads. The loading thread cuts the input into
// blocks of lines (copied, with simdjson's padding after the last one) and submits them; each pool
// thread encodes whole blocks with its own RowEncoder; the loading thread takes the blocks back in
// the order it submitted them, so every line keeps its place (rejects, key order, batches) as if
// one thread had done it all. With 0 threads, submit() encodes at once on the caller's thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pgstream/load/row_encoder.hpp"
#include "pgstream/load/table_schema.hpp"

namespace pgstream::load {

// One input line of a block, and what became of it.
struct ParsedLine {
  std::uint64_t number = 0;       // 1-based, in its file
  std::uint64_t offset = 0;       // of its first byte in the (decompressed) input
  std::uint32_t text_begin = 0, text_size = 0;  // in LineBlock::text
  std::uint32_t row_begin = 0, row_size = 0;    // in LineBlock::rows (an encoded line)
  std::uint32_t reject = UINT32_MAX;            // index into LineBlock::rejects (a rejected line)
  // Blank lines and lines an earlier run committed, read since the block's previous line: they are
  // accounted when this line is, so a stop accounts exactly the lines before it.
  std::uint32_t blank_before = 0, skipped_before = 0, bytes_before = 0;
};

struct LineBlock {
  std::uint32_t file = 0;
  std::vector<char> text;                 // the lines back to back, then padding
  std::vector<ParsedLine> lines;
  std::string rows;                       // encoded rows back to back
  std::vector<std::uint64_t> signatures;  // signature_words per encoded line (zeros for a reject)
  std::vector<LineReject> rejects;
  double encode_seconds = 0;              // thread time spent on it

  [[nodiscard]] std::string_view line_text(const ParsedLine& l) const noexcept {
    return {text.data() + l.text_begin, l.text_size};
  }
  [[nodiscard]] std::string_view row(const ParsedLine& l) const noexcept { return std::string_view(rows).substr(l.row_begin, l.row_size); }
  // Appends a line's bytes (the caller pads the block with finish_text() once it is full).
  void add_line(std::string_view line, std::uint64_t number, std::uint64_t offset);
  // A line that is not parsed (blank, or committed by an earlier run), before the next add_line().
  void add_unparsed(std::size_t bytes, bool blank) {
    (blank ? pending_blank : pending_skipped) += 1;
    pending_bytes += static_cast<std::uint32_t>(bytes);
  }
  std::uint32_t pending_blank = 0, pending_skipped = 0, pending_bytes = 0;  // after the last line
  void finish_text();
  void clear() noexcept;
};

class ParsePool {
 public:
  // `schema` must outlive the pool; `threads` 0 encodes on the caller's thread.
  ParsePool(const TableSchema& schema, const EncoderOptions& options, unsigned threads);
  ~ParsePool();
  // Ends the threads (blocks they have not started are dropped): after it, ignored_keys() may be
  // read and nothing more is encoded.
  void stop();
  ParsePool(const ParsePool&) = delete;
  ParsePool& operator=(const ParsePool&) = delete;

  // An empty block to fill, or nullptr when as many as the pool keeps are in use (then take one
  // back with next_done() first).
  [[nodiscard]] LineBlock* acquire();
  void submit(LineBlock* block);
  // The oldest submitted block once it is encoded; waits for it up to `wait` (nullptr when none
  // is pending or it is not done in time).
  [[nodiscard]] LineBlock* next_done(std::chrono::microseconds wait);
  void release(LineBlock* block);
  [[nodiscard]] std::size_t pending() const noexcept { return submitted_.size(); }
  [[nodiscard]] std::size_t signature_words() const noexcept { return words_; }
  [[nodiscard]] unsigned threads() const noexcept { return static_cast<unsigned>(threads_.size()); }

  // Of all the encoders (call after stop()).
  [[nodiscard]] std::map<std::string, std::uint64_t> ignored_keys() const;
  [[nodiscard]] std::uint64_t ignored_key_count() const;

 private:
  void encode_block(RowEncoder& encoder, LineBlock& block) const;
  void run(std::size_t index);

  const TableSchema& schema_;
  std::size_t words_;
  std::vector<std::unique_ptr<RowEncoder>> encoders_;  // one per thread (one for 0 threads)
  std::vector<std::unique_ptr<LineBlock>> blocks_;     // all of them, for their lifetime
  std::vector<LineBlock*> free_;
  std::deque<LineBlock*> submitted_;  // in submission order (the loading thread's view)

  std::mutex mutex_;
  std::condition_variable work_ready_, block_done_;
  std::deque<LineBlock*> queue_;      // waiting for a thread
  std::vector<LineBlock*> done_;      // encoded, not yet taken back
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pgstream::load
