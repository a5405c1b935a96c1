#pragma once
// What the server says outside of results: ErrorResponse ('E'), NoticeResponse ('N') and
// NotificationResponse ('A', a NOTIFY on a channel this session LISTENs to).

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "pgstream/protocol/backend_detail.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

// One field of an ErrorResponse/NoticeResponse: a code byte ('C' SQLSTATE, 'M' message, ...).
struct NoticeField {
  char code = 0;
  std::string_view value;
};

// The body shared by ErrorResponse and NoticeResponse: (code byte, C string)*, then a 0 byte.
// Accessors return an empty view for a field the server did not send; each one walks the
// fields (a handful), so use to_fields() to take them all.
class NoticeFields {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = NoticeField;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const std::byte* p) noexcept : p_(p) {}
    [[nodiscard]] NoticeField operator*() const noexcept {
      return {static_cast<char>(*p_), detail::chars(p_ + 1, detail::cstr_len(p_ + 1))};
    }
    iterator& operator++() noexcept {
      p_ += 1 + detail::cstr_len(p_ + 1) + 1;
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

  [[nodiscard]] iterator begin() const noexcept { return iterator(body_.data()); }
  // The final 0 byte.
  [[nodiscard]] iterator end() const noexcept { return iterator(body_.data() + body_.size() - 1); }

  // The value of the first field with this code, or empty.
  [[nodiscard]] std::string_view field(char code) const noexcept;
  [[nodiscard]] bool has(char code) const noexcept;

  // 'V' (never localized, since 9.6), else 'S' (localized) for older servers.
  [[nodiscard]] std::string_view severity() const noexcept;
  [[nodiscard]] std::string_view localized_severity() const noexcept { return field('S'); }
  [[nodiscard]] std::string_view sqlstate() const noexcept { return field('C'); }
  [[nodiscard]] std::string_view message() const noexcept { return field('M'); }
  [[nodiscard]] std::string_view detail() const noexcept { return field('D'); }
  [[nodiscard]] std::string_view hint() const noexcept { return field('H'); }
  // Cursor position in the query string, 1-based characters, as decimal text.
  [[nodiscard]] std::string_view position() const noexcept { return field('P'); }
  [[nodiscard]] std::string_view internal_position() const noexcept { return field('p'); }
  [[nodiscard]] std::string_view internal_query() const noexcept { return field('q'); }
  [[nodiscard]] std::string_view where() const noexcept { return field('W'); }
  [[nodiscard]] std::string_view schema() const noexcept { return field('s'); }
  [[nodiscard]] std::string_view table() const noexcept { return field('t'); }
  [[nodiscard]] std::string_view column() const noexcept { return field('c'); }
  [[nodiscard]] std::string_view data_type() const noexcept { return field('d'); }
  [[nodiscard]] std::string_view constraint() const noexcept { return field('n'); }
  [[nodiscard]] std::string_view file() const noexcept { return field('F'); }
  [[nodiscard]] std::string_view line() const noexcept { return field('L'); }
  [[nodiscard]] std::string_view routine() const noexcept { return field('R'); }

  // Owned copies, for keeping beyond the frame's buffer.
  [[nodiscard]] ServerErrorFields to_fields() const;
  // An ErrorCategory::server Error carrying these fields.
  [[nodiscard]] Error to_error() const;

 protected:
  // Checks every field's terminator and that the terminating 0 byte ends the body.
  [[nodiscard]] static Result<std::span<const std::byte>> validate(const Frame& frame);
  explicit NoticeFields(std::span<const std::byte> body) noexcept : body_(body) {}

 private:
  std::span<const std::byte> body_;  // validated; ends with the terminating 0
};

class ErrorResponse : public NoticeFields {
 public:
  [[nodiscard]] static Result<ErrorResponse> parse(const Frame& frame);

 private:
  using NoticeFields::NoticeFields;
};

class NoticeResponse : public NoticeFields {
 public:
  [[nodiscard]] static Result<NoticeResponse> parse(const Frame& frame);

 private:
  using NoticeFields::NoticeFields;
};

class NotificationResponse {
 public:
  [[nodiscard]] static Result<NotificationResponse> parse(const Frame& frame);
  // The notifying backend's process id.
  [[nodiscard]] std::int32_t process_id() const noexcept { return pid_; }
  [[nodiscard]] std::string_view channel() const noexcept { return channel_; }
  [[nodiscard]] std::string_view payload() const noexcept { return payload_; }

 private:
  std::int32_t pid_ = 0;
  std::string_view channel_;
  std::string_view payload_;
};

}  // namespace pgstream::protocol
