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
#include "pgstream/result.hpp"

namespace pgstream::load {

enum class CopyFormat : std::uint8_t { binary, text };

struct LineReject {
  std::string column;  // empty when the line as a whole is wrong
  std::string reason;
};

// How the keys of a line find their columns, beyond "a top-level key names its column".
struct EncoderOptions {
  CopyFormat format = CopyFormat::binary;
  std::optional<std::size_t> jsonb_column;  // also stores the whole line
  std::optional<std::size_t> rest_column;   // a json/jsonb object of the keys that have no column
  // --map: the column takes the value at this RFC 6901 pointer; a top-level key of the same name
  // as the column no longer fills it.
  struct Map {
    std::size_t column = 0;
    std::string pointer;
  };
  std::vector<Map> maps;
};

// Checks --map COL=/pointer, --jsonb-column and --rest-column against the table.
[[nodiscard]] Result<EncoderOptions> resolve_encoder_options(const TableSchema& schema, CopyFormat format,
                                                             const std::vector<std::string>& maps,
                                                             const std::string& jsonb_column,
                                                             const std::string& rest_column);

class RowEncoder {
 public:
  RowEncoder(const TableSchema& schema, EncoderOptions options);

  // Whether every loadable column of `schema` has a binary codec (else use CopyFormat::text).
  [[nodiscard]] static bool binary_supported(const TableSchema& schema);

  // Parses and converts one line (`capacity` readable bytes from line.data(), at least
  // line.size() + simdjson::SIMDJSON_PADDING). nullopt on success.
  [[nodiscard]] std::optional<LineReject> encode(std::string_view line, std::size_t capacity);

  // After a successful encode(): which columns the line had (one bit per column), and the row
  // itself (only those columns, in table order) appended to `out`.
  [[nodiscard]] const std::vector<std::uint64_t>& signature() const noexcept { return signature_; }
  void append_row(std::string& out) const;

  [[nodiscard]] CopyFormat format() const noexcept { return options_.format; }
  // Keys that matched no column (and were not kept in the rest column), and how often. Past
  // kMaxDistinctKeys distinct keys, the others are counted under "(other keys)".
  [[nodiscard]] std::map<std::string, std::uint64_t> ignored_keys() const;
  [[nodiscard]] std::uint64_t ignored_key_count() const noexcept;
  static constexpr std::size_t kMaxDistinctKeys = 10'000;

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
  // What a top-level key is for, worked out once per distinct key.
  struct KeyInfo {
    std::optional<std::size_t> column;  // the column it fills
    bool map_root = false;              // the first step of a --map pointer: used, not ignored
    std::uint64_t ignored = 0;
  };
  KeyInfo* key_info(std::string_view key);
  std::optional<LineReject> encode_maps(simdjson::ondemand::document& doc);
  void add_cell(std::size_t column, std::size_t begin);

  const TableSchema& schema_;
  EncoderOptions options_;
  simdjson::ondemand::parser parser_;
  // On-Demand validates only what it reads: a line with a value it skipped (a key with no column)
  // or a scalar copied as raw text into a non-json column is checked by a full parse. Values
  // copied into json/jsonb columns are left to the server's input function, which refuses them.
  simdjson::dom::parser validator_;
  bool unchecked_ = false;
  std::unordered_map<std::string, KeyInfo, StringHash, std::equal_to<>> keys_;
  KeyInfo overflow_key_;           // keys beyond kMaxDistinctKeys
  std::vector<bool> mapped_;       // columns filled by a --map (not by their own key)
  std::vector<std::string> map_roots_;
  static constexpr std::size_t kRecentKeys = 256;
  std::vector<std::pair<std::string, KeyInfo*>> recent_keys_;  // the previous line's keys, in order
  std::string rest_;               // the rest column's object, as JSON text
  std::vector<Cell> cells_;
  std::vector<bool> present_;
  std::vector<std::uint64_t> signature_;
  std::string buf_;      // the encoded values of the current line
  std::string scratch_;  // array literals in text mode
};

}  // namespace pgstream::load
