#pragma once
// Bytes of one input file or of stdin ("-"): plain, gzip or zstd, told by the first bytes (not the
// name, so a compressed stream on stdin is read too). Decompression is streamed, so memory does not
// grow with the file; concatenated gzip members read as one stream, like gzip -d.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pgstream/result.hpp"

namespace pgstream::load {

class InputReader {
 public:
  [[nodiscard]] static Result<InputReader> open(const std::string& path);
  InputReader(InputReader&&) noexcept;
  InputReader& operator=(InputReader&&) noexcept;
  ~InputReader();

  // Up to into.size() bytes; 0 at the end of the input.
  [[nodiscard]] Result<std::size_t> read(std::span<char> into);
  [[nodiscard]] const std::string& path() const noexcept;
  // Progress through the file as stored (compressed bytes for .gz/.zst), and its size when it is
  // a regular file (0 for a pipe or stdin): together they give a percentage and an ETA.
  [[nodiscard]] std::uint64_t source_position() const noexcept;
  [[nodiscard]] std::uint64_t source_size() const noexcept;

  struct Impl;

 private:
  explicit InputReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgstream::load
