#pragma once
// Fluent front-end over the message functions of frontend_messages.hpp:
//
//   FrontendWriter w(buf);
//   auto ok = w.parse("stmt").query("SELECT $1::int4").param_types({23}).finish();
//   Result<void> r = w.bind("", "stmt").result_format(Format::binary).finish(x,
//   y).execute().sync();
//
// The builders hold views (names, SQL, format and oid lists), not copies: finish them in the same
// expression, or keep what they point at alive until finish(). A BindDone chain is all-or-nothing:
// if any step fails, the sink goes back to where the Bind began and later steps are skipped.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "pgstream/protocol/bindable.hpp"
#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/protocol/frontend_frame.hpp"
#include "pgstream/protocol/frontend_messages.hpp"
#include "pgstream/protocol/frontend_params.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

// What a finished Bind returns: the outcome so far, and the follow-up messages of the usual
// extended-query sequence. Each step runs only while everything before it succeeded.
template <ByteSink S>
class [[nodiscard]] BindDone {
 public:
  BindDone(S& sink, std::size_t start, Result<void> outcome) noexcept
      : sink_(&sink), start_(start), outcome_(std::move(outcome)) {}

  [[nodiscard]] BindDone execute(std::string_view portal = {}, std::int32_t max_rows = 0) && {
    return std::move(*this).step([&](S& s) { return frontend::execute(s, portal, max_rows); });
  }
  [[nodiscard]] BindDone describe_portal(std::string_view portal = {}) && {
    return std::move(*this).step([&](S& s) { return frontend::describe_portal(s, portal); });
  }
  [[nodiscard]] BindDone flush() && {
    return std::move(*this).step([](S& s) {
      frontend::flush(s);
      return Result<void>{};
    });
  }
  [[nodiscard]] BindDone sync() && {
    return std::move(*this).step([](S& s) {
      frontend::sync(s);
      return Result<void>{};
    });
  }

  [[nodiscard]] bool ok() const noexcept { return outcome_.has_value(); }
  [[nodiscard]] const Result<void>& result() const& noexcept { return outcome_; }
  [[nodiscard]] Result<void> result() && noexcept { return std::move(outcome_); }
  operator Result<void>() const& { return outcome_; }         // NOLINT: implicit on purpose
  operator Result<void>() && { return std::move(outcome_); }  // NOLINT: implicit on purpose

 private:
  template <class F>
  BindDone step(F&& write) && {
    if (outcome_) {
      outcome_ = write(*sink_);
      if (!outcome_) detail::undo(*sink_, start_);
      // The whole chain or nothing: a later message that did not fit takes the Bind with it.
      detail::drop_if_overflowed(*sink_, start_);
    }
    return std::move(*this);
  }

  S* sink_;
  std::size_t start_;
  Result<void> outcome_;
};

template <ByteSink S>
class [[nodiscard]] ParseBuilder {
 public:
  ParseBuilder(S& sink, std::string_view statement) noexcept
      : sink_(&sink), statement_(statement) {}

  ParseBuilder& query(std::string_view sql) noexcept {
    sql_ = sql;
    return *this;
  }
  // Types of the first N parameters; 0 (or leaving some out) lets the server infer them.
  ParseBuilder& param_types(SpanArg<Oid> oids) noexcept {
    types_ = oids;
    return *this;
  }
  // Parameter types taken from the Bindable types that will be bound.
  template <BindableValue... T>
  ParseBuilder& param_types_of() noexcept {
    types_ = SpanArg<Oid>(param_oids<T...>);
    return *this;
  }
  [[nodiscard]] Result<void> finish() { return frontend::parse(*sink_, statement_, sql_, types_); }

 private:
  S* sink_;
  std::string_view statement_;
  std::string_view sql_;
  SpanArg<Oid> types_;
};

template <ByteSink S>
class [[nodiscard]] BindBuilder {
 public:
  BindBuilder(S& sink, std::string_view portal, std::string_view statement) noexcept
      : sink_(&sink), portal_(portal), statement_(statement) {}

  // Formats of pre-encoded parameters (finish_encoded); typed values carry their own.
  BindBuilder& param_formats(SpanArg<Format> formats) noexcept {
    param_formats_ = formats;
    has_param_formats_ = true;
    return *this;
  }
  // One format for every result column.
  BindBuilder& result_format(Format format) noexcept {
    one_result_format_ = format;
    result_formats_ = {};
    return *this;
  }
  // One format per result column (or a single one for all, or none for all text).
  BindBuilder& result_formats(SpanArg<Format> formats) noexcept {
    result_formats_ = formats;
    one_result_format_.reset();
    return *this;
  }

  template <BindableValue... T>
  [[nodiscard]] BindDone<S> finish(const T&... values) {
    const std::size_t start = sink_->size();
    if (has_param_formats_) [[unlikely]] {
      return {*sink_, start,
              detail::encode_error("Bind: param_formats() applies only to finish_encoded(); "
                                   "typed values carry their formats in Bindable<T>::format")};
    }
    return {*sink_, start, frontend::bind(*sink_, portal_, statement_, results(), values...)};
  }

  [[nodiscard]] BindDone<S> finish_encoded(SpanArg<EncodedValue> values) {
    const std::size_t start = sink_->size();
    return {*sink_, start,
            frontend::bind_encoded(*sink_, portal_, statement_, param_formats_, values, results())};
  }

 private:
  [[nodiscard]] SpanArg<Format> results() const noexcept {
    if (one_result_format_)
      return SpanArg<Format>(std::span<const Format>(&*one_result_format_, 1));
    return result_formats_;
  }

  S* sink_;
  std::string_view portal_;
  std::string_view statement_;
  SpanArg<Format> param_formats_;
  SpanArg<Format> result_formats_;
  std::optional<Format> one_result_format_;
  bool has_param_formats_ = false;
};

// Every frontend message as a method over one sink. Holds a pointer to the sink, nothing else:
// copy it freely, keep the sink alive.
template <ByteSink S>
class FrontendWriter {
 public:
  explicit FrontendWriter(S& sink) noexcept : sink_(&sink) {}

  [[nodiscard]] S& sink() const noexcept { return *sink_; }

  // start-up
  [[nodiscard]] Result<void> startup(SpanArg<StartupParam> params,
                                     std::int32_t version = protocol_3_0) {
    return frontend::startup_message(*sink_, params, version);
  }
  void ssl_request() { frontend::ssl_request(*sink_); }
  void gssenc_request() { frontend::gssenc_request(*sink_); }
  [[nodiscard]] Result<void> cancel_request(std::int32_t process_id, Bytes secret_key) {
    return frontend::cancel_request(*sink_, process_id, secret_key);
  }

  // authentication
  [[nodiscard]] Result<void> password(std::string_view password) {
    return frontend::password_message(*sink_, password);
  }
  [[nodiscard]] Result<void> sasl_initial_response(std::string_view mechanism,
                                                   std::optional<Bytes> data) {
    return frontend::sasl_initial_response(*sink_, mechanism, data);
  }
  [[nodiscard]] Result<void> sasl_initial_response(std::string_view mechanism,
                                                   std::string_view data) {
    return frontend::sasl_initial_response(*sink_, mechanism, data);
  }
  [[nodiscard]] Result<void> sasl_response(Bytes data) {
    return frontend::sasl_response(*sink_, data);
  }
  [[nodiscard]] Result<void> sasl_response(std::string_view data) {
    return frontend::sasl_response(*sink_, data);
  }
  [[nodiscard]] Result<void> gss_response(Bytes data) {
    return frontend::gss_response(*sink_, data);
  }

  // simple and extended query
  [[nodiscard]] Result<void> query(std::string_view sql) { return frontend::query(*sink_, sql); }
  [[nodiscard]] ParseBuilder<S> parse(std::string_view statement = {}) {
    return {*sink_, statement};
  }
  [[nodiscard]] Result<void> parse(std::string_view statement, std::string_view sql,
                                   SpanArg<Oid> param_types = {}) {
    return frontend::parse(*sink_, statement, sql, param_types);
  }
  [[nodiscard]] BindBuilder<S> bind(std::string_view portal = {}, std::string_view statement = {}) {
    return {*sink_, portal, statement};
  }
  [[nodiscard]] Result<void> execute(std::string_view portal = {}, std::int32_t max_rows = 0) {
    return frontend::execute(*sink_, portal, max_rows);
  }
  [[nodiscard]] Result<void> describe_statement(std::string_view name = {}) {
    return frontend::describe_statement(*sink_, name);
  }
  [[nodiscard]] Result<void> describe_portal(std::string_view name = {}) {
    return frontend::describe_portal(*sink_, name);
  }
  [[nodiscard]] Result<void> close_statement(std::string_view name = {}) {
    return frontend::close_statement(*sink_, name);
  }
  [[nodiscard]] Result<void> close_portal(std::string_view name = {}) {
    return frontend::close_portal(*sink_, name);
  }
  void flush() { frontend::flush(*sink_); }
  void sync() { frontend::sync(*sink_); }
  void terminate() { frontend::terminate(*sink_); }

  // COPY FROM STDIN
  [[nodiscard]] Result<void> copy_data(Bytes data) { return frontend::copy_data(*sink_, data); }
  [[nodiscard]] Result<void> copy_data(std::string_view data) {
    return frontend::copy_data(*sink_, data);
  }
  void copy_done() { frontend::copy_done(*sink_); }
  [[nodiscard]] Result<void> copy_fail(std::string_view reason) {
    return frontend::copy_fail(*sink_, reason);
  }

  // fast-path function call
  template <BindableValue... T>
  [[nodiscard]] Result<void> function_call(Oid function, Format result_format, const T&... args) {
    return frontend::function_call(*sink_, function, result_format, args...);
  }
  [[nodiscard]] Result<void> function_call_encoded(Oid function, SpanArg<Format> arg_formats,
                                                   SpanArg<EncodedValue> args,
                                                   Format result_format) {
    return frontend::function_call_encoded(*sink_, function, arg_formats, args, result_format);
  }

 private:
  S* sink_;
};

template <ByteSink S>
FrontendWriter(S&) -> FrontendWriter<S>;

}  // namespace pgstream::protocol
