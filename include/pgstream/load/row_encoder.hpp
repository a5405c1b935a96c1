#pragma once
// One JSON line -> one COPY row for the target table, in binary (the default: every column has a
// binary codec) or COPY text format (the fallback for types without one).
//
// A line either encodes, or is rejected with the column and the reason; nothing is half-written.
// The encoder keeps its buffers between lines: no allocation per line once they have grown.

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pgstream/load/table_schema.hpp"

namespace pgstream::load {

enum class CopyFormat : std::uint8_t { binary, text };

struct LineReject {
  std::string column;  // empty when the line as a whole is wrong
  std::string reason;
};

class RowEncoder {
 public:
  RowEncoder(const TableSchema& schema, CopyFormat format, std::optional<std::size_t> jsonb_column);

  // Whether every loadable column of `schema` has a binary codec (else use CopyFormat::text).
  [[nodiscard]] static bool binary_supported(const TableSchema& schema);

  // Parses and converts one line (`capacity` readable bytes from line.data(), at least
  // line.size() + simdjson::SIMDJSON_PADDING). nullopt on success.
  [[nodiscard]] std::optional<LineReject> encode(std::string_view line, std::size_t capacity);

  // After a successful encode(): which columns the line had (one bit per column), and the row
  // itself (only those columns, in table order) appended to `out`.
  [[nodiscard]] const std::vector<std::uint64_t>& signature() const noexcept { return signature_; }
  void append_row(std::string& out) const;

  [[nodiscard]] CopyFormat format() const noexcept { return format_; }
  // Keys that matched no column, and how often.
  [[nodiscard]] const std::map<std::string, std::uint64_t>& ignored_keys() const noexcept { return ignored_; }

 private:
  struct Cell {
    std::uint32_t begin = 0, end = 0;
    bool null = false;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  std::optional<std::string> convert(simdjson::ondemand::value v, const Column& c);
  std::optional<std::string> convert_binary(simdjson::ondemand::value v, simdjson::ondemand::json_type type,
                                            std::uint32_t oid, const Column& c);
  std::optional<std::string> convert_binary_array(simdjson::ondemand::value v, const Column& c);
  std::optional<std::string> convert_text(simdjson::ondemand::value v, simdjson::ondemand::json_type type,
                                          const Column& c);
  std::optional<std::size_t> column_of(std::string_view key);

  const TableSchema& schema_;
  CopyFormat format_;
  std::optional<std::size_t> jsonb_column_;
  simdjson::ondemand::parser parser_;
  std::unordered_map<std::string, std::optional<std::size_t>, StringHash, std::equal_to<>> key_cache_;
  std::map<std::string, std::uint64_t> ignored_;
  std::vector<Cell> cells_;
  std::vector<bool> present_;
  std::vector<std::uint64_t> signature_;
  std::string buf_;      // the encoded values of the current line
  std::string scratch_;  // array literals in text mode
};

}  // namespace pgstream::load
