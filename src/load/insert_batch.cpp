#include "pgstream/load/insert_batch.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>
#include <cstring>

#include "pgstream/protocol/backend.hpp"

namespace pgstream::load {

InsertBatch::InsertBatch(const InsertStatement& statement)
    : statement_(&statement), columns_(statement.columns.size()) {}

void InsertBatch::clear() noexcept {
  data_.clear();
  committed_ = 0;
  committed_rows_ = 0;
  fields_.clear();
  origin_.clear();
}

void InsertBatch::reset(const InsertStatement& statement) noexcept {
  clear();
  statement_ = &statement;
  columns_ = statement.columns.size();
}

namespace {
constexpr std::uint64_t kFnvBasis = 14695981039346656037ull;
// FNV-1a over a field's bytes and length (the length keeps ("ab","c") apart from ("a","bc")).
std::uint64_t hash_field(std::uint64_t h, const char* data, std::int32_t length) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(data);
  for (std::int32_t i = 0; i < length; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return (h ^ static_cast<std::uint32_t>(length)) * 1099511628211ull;
}
}  // namespace

std::optional<std::vector<KeyHashing>> key_hashing(const TableSchema& schema, std::span<const std::size_t> key_columns,
                                                   CopyFormat format) {
  // Type oids of pg_catalog (stable across versions). Text compares by bytes under the usual
  // deterministic collations.
  constexpr std::uint32_t kText[] = {25, 1043};                                         // text, varchar
  constexpr std::uint32_t kBinary[] = {16, 17, 20, 21, 23, 26, 1082, 1114, 1184, 2950};  // bool bytea int8 int2 int4
                                                                                         // oid date timestamp(tz) uuid
  auto in = [](const auto& list, std::uint32_t t) { return std::find(std::begin(list), std::end(list), t) != std::end(list); };
  std::vector<KeyHashing> out;
  for (std::size_t c : key_columns) {
    if (c >= schema.columns.size()) return std::nullopt;
    const std::uint32_t t = schema.columns[c].base_type_oid;
    if (in(kText, t)) {
      out.push_back(KeyHashing::bytes);
      continue;
    }
    if (format != CopyFormat::binary) return std::nullopt;
    if (in(kBinary, t)) out.push_back(KeyHashing::bytes);
    else if (t == 1700) out.push_back(KeyHashing::numeric);
    else if (t == 700) out.push_back(KeyHashing::float4);
    else if (t == 701) out.push_back(KeyHashing::float8);
    else if (t == 1042) out.push_back(KeyHashing::bpchar);
    else return std::nullopt;
  }
  return out;
}

namespace {

std::uint16_t be16(const char* p) noexcept {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]));
}

// One key field into the hash, equal values alike (see KeyHashing).
std::uint64_t hash_key_field(std::uint64_t h, const char* p, std::int32_t len, KeyHashing how) noexcept {
  switch (how) {
    case KeyHashing::bytes: break;
    case KeyHashing::bpchar:
      while (len > 0 && p[len - 1] == ' ') --len;  // char(n) compares without its padding
      break;
    case KeyHashing::float4:
    case KeyHashing::float8: {
      const std::int32_t size = how == KeyHashing::float4 ? 4 : 8;
      if (len != size) break;
      std::uint64_t bits = 0;
      for (std::int32_t i = 0; i < size; ++i) bits = (bits << 8) | static_cast<unsigned char>(p[i]);
      const std::uint64_t magnitude = bits & ~(std::uint64_t{1} << (size * 8 - 1));
      const std::uint64_t exponent_all_ones = size == 4 ? 0x7f800000u : 0x7ff0000000000000ull;
      const std::uint64_t fraction = size == 4 ? 0x007fffffu : 0x000fffffffffffffull;
      if (magnitude == 0) return hash_field(h, "0", 1);  // -0 = 0
      if ((magnitude & exponent_all_ones) == exponent_all_ones && (magnitude & fraction) != 0)
        return hash_field(h, "NaN", 3);  // every NaN is one value to the server's btree
      break;
    }
    case KeyHashing::numeric: {
      // ndigits, weight, sign, dscale, then ndigits base-10000 digits (int16 each).
      if (len < 8) break;
      const std::int32_t ndigits = be16(p);
      if (len != 8 + 2 * ndigits) break;
      const std::uint16_t sign = be16(p + 4);
      if (sign != 0x0000 && sign != 0x4000) return hash_field(h, p + 4, 2);  // NaN, +-Infinity
      std::int32_t first = 0, last = ndigits;
      auto weight = static_cast<std::int16_t>(be16(p + 2));
      while (first < last && be16(p + 8 + 2 * first) == 0) {
        ++first;
        --weight;
      }
      while (last > first && be16(p + 8 + 2 * (last - 1)) == 0) --last;
      if (first == last) return hash_field(h, "0", 1);  // zero, whatever its sign and scale
      h = hash_field(h, p + 4, 2);
      const char w[2] = {static_cast<char>(static_cast<std::uint16_t>(weight) >> 8), static_cast<char>(weight & 0xff)};
      h = hash_field(h, w, 2);
      return hash_field(h, p + 8 + 2 * first, 2 * (last - first));
    }
  }
  return hash_field(h, p, len);
}

}  // namespace

std::optional<std::uint64_t> tuple_key_hash(std::string_view tuple, CopyFormat format,
                                            std::span<const std::size_t> key_positions,
                                            std::span<const KeyHashing> hashing) noexcept {
  if (key_positions.empty()) return std::nullopt;
  const std::size_t last = *std::max_element(key_positions.begin(), key_positions.end());
  // The hashing of field c when it is part of the key.
  auto key_index = [&](std::size_t c) -> std::optional<KeyHashing> {
    const auto it = std::find(key_positions.begin(), key_positions.end(), c);
    if (it == key_positions.end()) return std::nullopt;
    const auto i = static_cast<std::size_t>(it - key_positions.begin());
    return i < hashing.size() ? hashing[i] : KeyHashing::bytes;
  };
  // Fields are hashed in tuple order: the hash only has to be the same for the same key.
  std::uint64_t h = kFnvBasis;
  const char* p = tuple.data();
  std::size_t at = 0, end = tuple.size();
  if (format == CopyFormat::binary) {
    if (end < 2) return std::nullopt;
    at = 2;
    for (std::size_t c = 0; c <= last; ++c) {
      if (end - at < 4) return std::nullopt;
      std::uint32_t u;
      std::memcpy(&u, p + at, 4);
      if constexpr (std::endian::native == std::endian::little) u = std::byteswap(u);
      const auto len = static_cast<std::int32_t>(u);
      at += 4;
      if (len < -1 || (len > 0 && end - at < static_cast<std::size_t>(len))) return std::nullopt;
      if (auto how = key_index(c)) {
        if (len < 0) return std::nullopt;
        h = hash_key_field(h, p + at, len, *how);
      }
      if (len > 0) at += static_cast<std::size_t>(len);
    }
    return h;
  }
  if (end == 0 || p[end - 1] != '\n') return std::nullopt;
  --end;
  for (std::size_t c = 0; c <= last; ++c) {
    if (at > end) return std::nullopt;
    const void* tab = std::memchr(p + at, '\t', end - at);
    const std::size_t stop = tab ? static_cast<std::size_t>(static_cast<const char*>(tab) - p) : end;
    if (key_index(c)) {
      if (stop - at == 2 && p[at] == '\\' && p[at + 1] == 'N') return std::nullopt;
      h = hash_field(h, p + at, static_cast<std::int32_t>(stop - at));
    }
    at = stop + 1;
  }
  return h;
}

Result<void> InsertBatch::commit_row() {
  const std::size_t begin = committed_, end = data_.size();
  const std::size_t fields_before = fields_.size();
  auto fail = [&](std::string why) -> Result<void> {
    data_.resize(begin);
    fields_.resize(fields_before);
    return make_error(ErrorCategory::encode, "insert batch: " + why);
  };
  if (end - begin > std::numeric_limits<std::int32_t>::max() || end > std::numeric_limits<std::uint32_t>::max())
    return fail("the batch holds more than 4 GiB");
  const char* p = data_.data();
  if (statement_->format == CopyFormat::binary) {
    std::size_t at = begin;
    auto get32 = [&](std::int32_t& v) {
      if (end - at < 4) return false;
      std::uint32_t u;
      std::memcpy(&u, p + at, 4);
      if constexpr (std::endian::native == std::endian::little) u = std::byteswap(u);
      v = static_cast<std::int32_t>(u);
      at += 4;
      return true;
    };
    if (end - at < 2) return fail("a row shorter than its field count");
    const auto count = static_cast<std::size_t>((static_cast<unsigned char>(p[at]) << 8) | static_cast<unsigned char>(p[at + 1]));
    at += 2;
    if (count != columns_) return fail("a row of " + std::to_string(count) + " fields for " + std::to_string(columns_) + " columns");
    for (std::size_t c = 0; c < columns_; ++c) {
      std::int32_t len = 0;
      if (!get32(len) || len < -1 || (len > 0 && end - at < static_cast<std::size_t>(len))) return fail("a truncated field");
      fields_.push_back({static_cast<std::uint32_t>(at), len});
      if (len > 0) at += static_cast<std::size_t>(len);
    }
    if (at != end) return fail("bytes after the last field");
  } else {
    if (end == begin || p[end - 1] != '\n') return fail("a text row without its newline");
    std::size_t at = begin;
    for (std::size_t c = 0; c < columns_; ++c) {
      const void* tab = std::memchr(p + at, '\t', end - 1 - at);
      const std::size_t stop = tab ? static_cast<std::size_t>(static_cast<const char*>(tab) - p) : end - 1;
      if ((c + 1 < columns_) != (tab != nullptr))
        return fail("a text row without one field per column");
      const bool null = stop - at == 2 && p[at] == '\\' && p[at + 1] == 'N';
      fields_.push_back({static_cast<std::uint32_t>(at), null ? -1 : static_cast<std::int32_t>(stop - at)});
      at = stop + 1;
    }
  }
  committed_ = end;
  origin_.push_back(static_cast<std::uint32_t>(committed_rows_++));
  return {};
}

bool InsertBatch::keys_equal(std::size_t a, std::size_t b) const noexcept {
  for (std::size_t k : statement_->key_positions) {
    const Field& x = field(a, k);
    const Field& y = field(b, k);
    if (x.length != y.length) return false;
    if (std::memcmp(data_.data() + x.offset, data_.data() + y.offset, static_cast<std::size_t>(x.length)) != 0)
      return false;
  }
  return true;
}

std::size_t InsertBatch::dedupe() {
  if (statement_->key_positions.empty() || rows() < 2) return 0;
  order_.clear();
  for (std::size_t r = 0; r < rows(); ++r) {
    std::uint64_t h = kFnvBasis;
    bool has_null = false;
    for (std::size_t k : statement_->key_positions) {
      const Field& f = field(r, k);
      if (f.length < 0) {
        has_null = true;
        break;
      }
      h = hash_field(h, data_.data() + f.offset, f.length);
    }
    if (!has_null) order_.emplace_back(h, static_cast<std::uint32_t>(r));  // NULL keys never conflict
  }
  std::sort(order_.begin(), order_.end());
  drop_.assign(rows(), 0);
  std::size_t dropped = 0;
  for (std::size_t a = 0; a < order_.size();) {
    std::size_t b = a + 1;
    while (b < order_.size() && order_[b].first == order_[a].first) ++b;
    // Within one hash, rows are in batch order: a row with an equal key later on loses.
    for (std::size_t i = a; i + 1 < b; ++i)
      for (std::size_t j = i + 1; j < b; ++j)
        if (keys_equal(order_[i].second, order_[j].second)) {
          drop_[order_[i].second] = 1;
          ++dropped;
          break;
        }
    a = b;
  }
  if (dropped == 0) return 0;
  std::size_t out = 0;
  for (std::size_t r = 0; r < rows(); ++r) {
    if (drop_[r]) continue;
    if (out != r) {
      std::copy_n(fields_.begin() + static_cast<std::ptrdiff_t>(r * columns_), columns_,
                  fields_.begin() + static_cast<std::ptrdiff_t>(out * columns_));
      origin_[out] = origin_[r];
    }
    ++out;
  }
  fields_.resize(out * columns_);
  origin_.resize(out);
  return dropped;
}

// ---- replies ----

namespace {

std::optional<std::uint64_t> decimal(const protocol::FieldValue& v) {
  if (v.is_null()) return std::nullopt;
  const std::string_view s = v.text();
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

Result<void> InsertReplyTally::add(const protocol::Frame& frame) {
  switch (frame.type) {
    case 'D': {
      auto row = protocol::DataRow::parse(frame);
      if (!row) return std::unexpected(row.error());
      if (row->size() == 2) {  // unnest, update mode: count(*) FILTER (WHERE inserted), count(*)
        auto ins = decimal((*row)[0]), all = decimal((*row)[1]);
        if (!ins || !all || *ins > *all) return make_error(ErrorCategory::protocol, "unexpected counts from an upsert");
        inserted_ += *ins;
        touched_ += *all;
      } else if (row->size() == 1) {  // values, update mode: RETURNING (xmax = 0)
        if ((*row)[0].text() == "t") ++inserted_;
        ++touched_;
      } else {
        return make_error(ErrorCategory::protocol, "unexpected row from an insert");
      }
      return {};
    }
    case 'C': {
      ++executes_done_;
      if (statement_->mode == InsertMode::update) return {};  // counted from the rows
      auto cc = protocol::CommandComplete::parse(frame);
      if (!cc) return std::unexpected(cc.error());
      const auto n = cc->rows().value_or(0);
      inserted_ += n;
      touched_ += n;
      return {};
    }
    case 'E': {
      auto e = protocol::ErrorResponse::parse(frame);
      if (!e) return std::unexpected(e.error());
      if (!error_) error_ = e->to_error();
      return {};
    }
    case 'Z':
      done_ = true;
      return {};
    default:
      return {};  // ParseComplete, BindComplete, notices
  }
}

std::optional<std::size_t> InsertReplyTally::failed_row() const noexcept {
  if (!error_ || statement_->shape != InsertShape::values) return std::nullopt;
  return executes_done_;
}

InsertCounts InsertReplyTally::counts(std::uint64_t rows_sent) const noexcept {
  InsertCounts c;
  c.inserted = inserted_;
  c.updated = touched_ - inserted_;
  c.skipped = rows_sent > touched_ ? rows_sent - touched_ : 0;
  return c;
}

}  // namespace pgstream::load
