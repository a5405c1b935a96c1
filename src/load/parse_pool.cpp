#include "parse_pool.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "pgstream/load/line_reader.hpp"

namespace pgstream::load {

void LineBlock::add_line(std::string_view line, std::uint64_t number, std::uint64_t offset) {
  ParsedLine l;
  l.number = number;
  l.offset = offset;
  l.text_begin = static_cast<std::uint32_t>(text.size());
  l.text_size = static_cast<std::uint32_t>(line.size());
  l.blank_before = pending_blank;
  l.skipped_before = pending_skipped;
  l.bytes_before = pending_bytes;
  pending_blank = pending_skipped = pending_bytes = 0;
  text.insert(text.end(), line.begin(), line.end());
  text.push_back('\n');
  lines.push_back(l);
}

void LineBlock::finish_text() { text.resize(text.size() + LineReader::padding, '\0'); }

void LineBlock::clear() noexcept {
  text.clear();
  lines.clear();
  rows.clear();
  signatures.clear();
  rejects.clear();
  pending_blank = pending_skipped = pending_bytes = 0;
  encode_seconds = 0;
}

ParsePool::ParsePool(const TableSchema& schema, const EncoderOptions& options, unsigned threads)
    : schema_(schema), words_((schema.columns.size() + 63) / 64) {
  const unsigned encoders = std::max(1u, threads);
  for (unsigned i = 0; i < encoders; ++i) encoders_.push_back(std::make_unique<RowEncoder>(schema, options));
  // Two blocks per thread keep every thread busy while the loading thread fills and drains.
  const std::size_t blocks = threads == 0 ? 1 : 2 * static_cast<std::size_t>(threads) + 1;
  for (std::size_t i = 0; i < blocks; ++i) {
    blocks_.push_back(std::make_unique<LineBlock>());
    free_.push_back(blocks_.back().get());
  }
  // SIGINT/SIGTERM must reach the loading thread (a read of a stalled pipe returns EINTR there);
  // the pool's threads inherit a mask without them.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

ParsePool::~ParsePool() { stop(); }

void ParsePool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  work_ready_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

LineBlock* ParsePool::acquire() {
  if (free_.empty()) return nullptr;
  LineBlock* b = free_.back();
  free_.pop_back();
  b->clear();
  return b;
}

void ParsePool::submit(LineBlock* block) {
  submitted_.push_back(block);
  if (threads_.empty()) {
    encode_block(*encoders_[0], *block);
    done_.push_back(block);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(block);
  }
  work_ready_.notify_one();
}

LineBlock* ParsePool::next_done(std::chrono::microseconds wait) {
  if (submitted_.empty()) return nullptr;
  LineBlock* oldest = submitted_.front();
  auto take = [&] {
    const auto it = std::find(done_.begin(), done_.end(), oldest);
    if (it == done_.end()) return false;
    done_.erase(it);
    return true;
  };
  if (threads_.empty()) {
    if (!take()) return nullptr;
  } else {
    std::unique_lock lock(mutex_);
    if (!block_done_.wait_for(lock, wait, take)) return nullptr;
  }
  submitted_.pop_front();
  return oldest;
}

void ParsePool::release(LineBlock* block) { free_.push_back(block); }

void ParsePool::run(std::size_t index) {
  RowEncoder& encoder = *encoders_[index];
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    LineBlock* block = queue_.front();
    queue_.pop_front();
    lock.unlock();
    encode_block(encoder, *block);
    lock.lock();
    done_.push_back(block);
    block_done_.notify_all();
  }
}

void ParsePool::encode_block(RowEncoder& encoder, LineBlock& block) const {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t capacity_end = block.text.size();
  for (auto& l : block.lines) {
    const std::string_view text(block.text.data() + l.text_begin, l.text_size);
    auto rejected = encoder.encode(text, capacity_end - l.text_begin);
    if (!rejected) {
      bool any = false;
      for (auto word : encoder.signature()) any |= word != 0;
      // COPY cannot express a row of defaults only; such a line is almost always meant for
      // another table, so it is refused rather than loaded as an empty row.
      if (!any) rejected = LineReject{"", "no key of the line matches a column of " + schema_.qualified_name};
    }
    if (rejected) {
      l.reject = static_cast<std::uint32_t>(block.rejects.size());
      block.rejects.push_back(std::move(*rejected));
      block.signatures.insert(block.signatures.end(), words_, 0);
      continue;
    }
    block.signatures.insert(block.signatures.end(), encoder.signature().begin(), encoder.signature().end());
    l.row_begin = static_cast<std::uint32_t>(block.rows.size());
    encoder.append_row(block.rows);
    l.row_size = static_cast<std::uint32_t>(block.rows.size() - l.row_begin);
  }
  block.encode_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::map<std::string, std::uint64_t> ParsePool::ignored_keys() const {
  std::map<std::string, std::uint64_t> all;
  for (const auto& e : encoders_)
    for (const auto& [k, n] : e->ignored_keys()) all[k] += n;
  return all;
}

std::uint64_t ParsePool::ignored_key_count() const {
  std::uint64_t n = 0;
  for (const auto& e : encoders_) n += e->ignored_key_count();
  return n;
}

}  // namespace pgstream::load
