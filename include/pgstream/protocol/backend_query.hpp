#pragma once
// Replies to queries, besides rows: the empty acknowledgements (ParseComplete, BindComplete, ...),
// CommandComplete, ReadyForQuery, ParameterDescription and FunctionCallResponse.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "pgstream/protocol/backend_detail.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

namespace detail {
[[nodiscard, gnu::cold]] std::unexpected<Error> unexpected_body(char type, std::size_t size);
}

// A message that is only its type byte and length 4.
template <char Type>
class EmptyMessage {
 public:
  static constexpr char type = Type;
  [[nodiscard]] static Result<EmptyMessage> parse(const Frame& frame) {
    if (frame.type != Type) [[unlikely]] return detail::wrong_type(backend_message_name(Type), frame.type);
    if (!frame.body.empty()) [[unlikely]] return detail::unexpected_body(Type, frame.body.size());
    return EmptyMessage{};
  }
};

using ParseComplete = EmptyMessage<'1'>;
using BindComplete = EmptyMessage<'2'>;
using CloseComplete = EmptyMessage<'3'>;
using NoData = EmptyMessage<'n'>;
using EmptyQueryResponse = EmptyMessage<'I'>;
using PortalSuspended = EmptyMessage<'s'>;
using CopyDone = EmptyMessage<'c'>;

// The command tag that ends a command: "INSERT 0 5", "SELECT 3", "CREATE TABLE", ...
class CommandComplete {
 public:
  [[nodiscard]] static Result<CommandComplete> parse(const Frame& frame);

  // The tag as sent, without its NUL.
  [[nodiscard]] std::string_view tag() const noexcept { return tag_; }
  // The command without its counts: "INSERT" for "INSERT 0 5", "CREATE TABLE" for "CREATE TABLE".
  [[nodiscard]] std::string_view command() const noexcept { return command_; }
  // Rows affected or returned, for the tags that carry a count (INSERT, SELECT, UPDATE, DELETE,
  // MERGE, FETCH, MOVE, COPY); nullopt for the others.
  [[nodiscard]] std::optional<std::uint64_t> rows() const noexcept { return rows_; }

 private:
  std::string_view tag_;
  std::string_view command_;
  std::optional<std::uint64_t> rows_;
};

enum class TransactionStatus : char { idle = 'I', in_transaction = 'T', failed = 'E' };

class ReadyForQuery {
 public:
  [[nodiscard]] static Result<ReadyForQuery> parse(const Frame& frame);
  [[nodiscard]] TransactionStatus status() const noexcept { return status_; }

 private:
  TransactionStatus status_ = TransactionStatus::idle;
};

// The parameter types of a prepared statement (Describe of a statement).
class ParameterDescription {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = Oid;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const std::byte* p) noexcept : p_(p) {}
    [[nodiscard]] Oid operator*() const noexcept { return detail::load_u32(p_); }
    iterator& operator++() noexcept {
      p_ += 4;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      p_ += 4;
      return old;
    }
    [[nodiscard]] bool operator==(const iterator&) const noexcept = default;

   private:
    const std::byte* p_ = nullptr;
  };

  // The count is read as unsigned: a statement may have up to 65535 parameters.
  [[nodiscard]] static Result<ParameterDescription> parse(const Frame& frame);
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] Oid operator[](std::size_t i) const noexcept { return detail::load_u32(oids_ + 4 * i); }
  [[nodiscard]] iterator begin() const noexcept { return iterator(oids_); }
  [[nodiscard]] iterator end() const noexcept { return iterator(oids_ + 4 * count_); }

 private:
  const std::byte* oids_ = nullptr;
  std::uint16_t count_ = 0;
};

// The result of a fast-path FunctionCall: a value, or NULL.
class FunctionCallResponse {
 public:
  [[nodiscard]] static Result<FunctionCallResponse> parse(const Frame& frame);
  [[nodiscard]] bool is_null() const noexcept { return null_; }
  // Empty for NULL.
  [[nodiscard]] std::span<const std::byte> value() const noexcept { return value_; }
  [[nodiscard]] std::string_view text() const noexcept { return detail::chars(value_.data(), value_.size()); }

 private:
  std::span<const std::byte> value_;
  bool null_ = true;
};

}  // namespace pgstream::protocol
