// The rejects file, and its clean-up when a load resumes.

#include "pgstream/load/rejects_file.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "pgstream/load/copy_text.hpp"

namespace pgstream::load {

RejectsFile::~RejectsFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> RejectsFile::resume(const std::function<bool(std::string_view, std::uint64_t)>& keep) {
  append_ = true;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return {};  // nothing was rejected before
  const std::string tmp = path_ + ".resume-tmp";
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return make_error(ErrorCategory::io, "cannot create " + tmp + ": " + std::strerror(errno));
  simdjson::ondemand::parser parser;
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    simdjson::padded_string doc(line);
    std::string_view file;
    std::uint64_t number = 0;
    auto parsed = parser.iterate(doc);
    if (parsed.error()) continue;  // a record cut short by the crash
    auto obj = parsed.get_object();
    if (obj.error() || obj["file"].get_string().get(file) || obj["line"].get_uint64().get(number)) continue;
    if (!keep(file, number)) continue;
    kept += line;
    kept += '\n';
  }
  const bool ok = ::write(out, kept.data(), kept.size()) == static_cast<ssize_t>(kept.size()) && ::fsync(out) == 0;
  ::close(out);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0)
    return make_error(ErrorCategory::io, "cannot rewrite rejects file " + path_ + ": " + std::strerror(errno));
  return {};
}

Result<void> RejectsFile::write(std::string_view file, std::uint64_t line, std::uint64_t offset, std::string_view column,
                                std::string_view sqlstate, std::string_view reason, std::string_view input) {
  if (fd_ < 0) {
    // Rejected lines may hold personal data: readable by the owner only.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append_ ? O_APPEND : O_TRUNC), 0600);
    if (fd_ < 0) return make_error(ErrorCategory::io, "cannot create rejects file " + path_ + ": " + std::strerror(errno));
  }
  rec_.assign("{\"file\":");
  append_json_string(rec_, file);
  rec_ += ",\"line\":" + std::to_string(line) + ",\"offset\":" + std::to_string(offset);
  if (!column.empty()) {
    rec_ += ",\"column\":";
    append_json_string(rec_, column);
  }
  if (!sqlstate.empty()) {
    rec_ += ",\"sqlstate\":";
    append_json_string(rec_, sqlstate);
  }
  rec_ += ",\"error\":";
  append_json_string(rec_, reason);
  rec_ += ",\"input\":";
  append_json_string(rec_, input);
  rec_ += "}\n";
  if (::write(fd_, rec_.data(), rec_.size()) != static_cast<ssize_t>(rec_.size()))
    return make_error(ErrorCategory::io, "cannot write rejects file " + path_ + ": " + std::strerror(errno));
  dirty_ = true;
  return {};
}

Result<void> RejectsFile::sync() {
  if (fd_ < 0 || !dirty_) return {};
  if (::fdatasync(fd_) != 0)
    return make_error(ErrorCategory::io, "cannot sync rejects file " + path_ + ": " + std::strerror(errno));
  dirty_ = false;
  return {};
}

}  // namespace pgstream::load
