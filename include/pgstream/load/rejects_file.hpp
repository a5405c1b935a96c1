#pragma once
// The rejects file: one JSON record per rejected input line (file, line, offset, column,
// SQLSTATE, reason, the line itself). Readable by its owner only: lines may hold personal data.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "pgstream/result.hpp"

namespace pgstream::load {

class RejectsFile {
 public:
  explicit RejectsFile(std::string path) : path_(std::move(path)) {}
  ~RejectsFile();
  RejectsFile(const RejectsFile&) = delete;
  RejectsFile& operator=(const RejectsFile&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] bool used() const noexcept { return fd_ >= 0; }

  // For a resumed load: keeps only the records `keep(file, line)` accepts (the lines an earlier
  // run committed as rejected; records of lines it wrote but never committed go, since those
  // lines are read again), and appends after them from now on.
  [[nodiscard]] Result<void> resume(const std::function<bool(std::string_view file, std::uint64_t line)>& keep);

  [[nodiscard]] Result<void> write(std::string_view file, std::uint64_t line, std::uint64_t offset, std::string_view column,
                                   std::string_view sqlstate, std::string_view reason, std::string_view input);
  // Makes the records written so far durable: done before a batch that records them as rejected
  // commits, so a machine crash cannot leave a committed reject without its record.
  [[nodiscard]] Result<void> sync();

 private:
  std::string path_;
  std::string rec_;
  int fd_ = -1;
  bool append_ = false;
  bool dirty_ = false;
};

}  // namespace pgstream::load
