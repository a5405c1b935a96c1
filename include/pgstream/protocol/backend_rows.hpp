#pragma once
// Row data and its description: DataRow ('D') and RowDescription ('T'), read in place.
//
// parse() checks every length and terminator against the body once, so iterating afterwards does
// no bounds checks. Views point into the frame's buffer and live as long as it does.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "pgstream/protocol/backend_detail.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

// One column value of a DataRow: NULL, or bytes (possibly empty) in the column's format.
class FieldValue {
 public:
  FieldValue() = default;
  FieldValue(const std::byte* data, std::int32_t length) noexcept : data_(data), length_(length) {}

  [[nodiscard]] bool is_null() const noexcept { return length_ < 0; }
  // Value bytes; empty for NULL (check is_null() to tell NULL from an empty value).
  [[nodiscard]] std::size_t size() const noexcept { return is_null() ? 0 : static_cast<std::size_t>(length_); }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size()}; }
  [[nodiscard]] std::string_view text() const noexcept { return detail::chars(data_, size()); }
  // The length as sent: -1 for NULL.
  [[nodiscard]] std::int32_t wire_length() const noexcept { return length_; }

 private:
  const std::byte* data_ = nullptr;
  std::int32_t length_ = -1;
};

class DataRow {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = FieldValue;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const std::byte* p) noexcept : p_(p) {}
    [[nodiscard]] FieldValue operator*() const noexcept { return {p_ + 4, detail::load_i32(p_)}; }
    iterator& operator++() noexcept {
      const std::int32_t n = detail::load_i32(p_);
      p_ += 4 + (n > 0 ? static_cast<std::size_t>(n) : 0);
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++*this;
      return old;
    }
    [[nodiscard]] bool operator==(const iterator&) const noexcept = default;

   private:
    const std::byte* p_ = nullptr;
  };

  // Checks the column count against the body, every length (>= 0 or -1 for NULL) against what
  // is left, and that the last value ends the body exactly.
  [[nodiscard]] static Result<DataRow> parse(const Frame& frame);

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] iterator begin() const noexcept { return iterator(body_.data() + 2); }
  [[nodiscard]] iterator end() const noexcept { return iterator(body_.data() + body_.size()); }
  // The i-th value (i < size()), found by walking from the first: O(i). Iterate to read them all.
  [[nodiscard]] FieldValue operator[](std::size_t i) const noexcept {
    iterator it = begin();
    for (; i != 0; --i) ++it;
    return *it;
  }
  [[nodiscard]] std::span<const std::byte> body() const noexcept { return body_; }

 private:
  DataRow(std::span<const std::byte> body, std::uint16_t count) noexcept : body_(body), count_(count) {}
  std::span<const std::byte> body_;
  std::uint16_t count_ = 0;
};

namespace detail {
[[nodiscard, gnu::cold]] std::unexpected<Error> data_row_error(int kind, std::size_t index);
}

// Inline: this runs once per row, and the common case is a handful of loads and compares.
inline Result<DataRow> DataRow::parse(const Frame& frame) {
  if (frame.type != 'D') [[unlikely]] return detail::wrong_type("DataRow", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 2) [[unlikely]] return detail::data_row_error(0, 0);
  const std::uint16_t count = detail::load_u16(b.data());
  const std::byte* p = b.data() + 2;
  const std::byte* const end = b.data() + b.size();
  // Every value takes at least its 4-byte length: reject an impossible count before walking.
  if (static_cast<std::size_t>(end - p) < std::size_t{4} * count) [[unlikely]] {
    return detail::data_row_error(1, count);
  }
  for (std::uint16_t i = 0; i < count; ++i) {
    if (end - p < 4) [[unlikely]] return detail::data_row_error(2, i);
    const std::int32_t n = detail::load_i32(p);
    p += 4;
    if (n < 0) {
      if (n != -1) [[unlikely]] return detail::data_row_error(3, i);
      continue;
    }
    if (end - p < n) [[unlikely]] return detail::data_row_error(4, i);
    p += n;
  }
  if (p != end) [[unlikely]] return detail::data_row_error(5, count);
  return DataRow(b, count);
}

// One column of a RowDescription.
struct ColumnDescription {
  std::string_view name;
  Oid table_oid = 0;            // 0 when the column is not a plain table column
  std::int16_t column_attr = 0; // attribute number in that table, else 0
  Oid type_oid = 0;
  std::int16_t type_size = 0;   // pg_type.typlen: negative for variable-width types
  std::int32_t type_modifier = 0;
  Format format = Format::text;
};

class RowDescription {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = ColumnDescription;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const std::byte* p) noexcept : p_(p) {}
    [[nodiscard]] ColumnDescription operator*() const noexcept;
    iterator& operator++() noexcept {
      p_ += detail::cstr_len(p_) + 1 + fixed_size;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++*this;
      return old;
    }
    [[nodiscard]] bool operator==(const iterator&) const noexcept = default;

   private:
    const std::byte* p_ = nullptr;
  };
  // Bytes after each name: table oid, attr number, type oid, type size, modifier, format.
  static constexpr std::size_t fixed_size = 4 + 2 + 4 + 2 + 4 + 2;

  // Checks the count, every name's terminator, the fixed fields' room, format codes 0 or 1, and
  // that nothing trails the last column.
  [[nodiscard]] static Result<RowDescription> parse(const Frame& frame);

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] iterator begin() const noexcept { return iterator(body_.data() + 2); }
  [[nodiscard]] iterator end() const noexcept { return iterator(body_.data() + body_.size()); }
  // The i-th column (i < size()), walking from the first: O(i).
  [[nodiscard]] ColumnDescription operator[](std::size_t i) const noexcept {
    iterator it = begin();
    for (; i != 0; --i) ++it;
    return *it;
  }

 private:
  RowDescription(std::span<const std::byte> body, std::uint16_t count) noexcept : body_(body), count_(count) {}
  std::span<const std::byte> body_;
  std::uint16_t count_ = 0;
};

inline ColumnDescription RowDescription::iterator::operator*() const noexcept {
  const std::size_t n = detail::cstr_len(p_);
  const std::byte* f = p_ + n + 1;
  ColumnDescription c;
  c.name = detail::chars(p_, n);
  c.table_oid = detail::load_u32(f);
  c.column_attr = detail::load_i16(f + 4);
  c.type_oid = detail::load_u32(f + 6);
  c.type_size = detail::load_i16(f + 10);
  c.type_modifier = detail::load_i32(f + 12);
  c.format = static_cast<Format>(detail::load_i16(f + 16));
  return c;
}

}  // namespace pgstream::protocol
