#pragma once
// A client TLS session over memory: wolfSSL encrypts and decrypts, the caller moves ciphertext.
//
// Nothing in here touches a socket, so the blocking connection and the io_uring reactor drive
// the same code. The cycle is: feed_ciphertext() what arrived from the socket; call handshake()
// or read_plaintext()/write_plaintext(); send whatever outgoing_ciphertext() holds and
// consume_outgoing() what was sent. Buffers grow to the largest TLS record seen and are reused.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pgstream/result.hpp"
#include "pgstream/tls/tls_options.hpp"

namespace pgstream::tls {

// Shared, immutable configuration (trusted roots, client certificate, versions): one per
// distinct TlsOptions, many sessions.
class TlsContext {
 public:
  [[nodiscard]] static Result<std::shared_ptr<const TlsContext>> create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  [[nodiscard]] const TlsOptions& options() const noexcept { return options_; }
  [[nodiscard]] void* native() const noexcept { return ctx_; }  // WOLFSSL_CTX*

 private:
  TlsContext(TlsOptions options, void* ctx) : options_(std::move(options)), ctx_(ctx) {}
  TlsOptions options_;
  void* ctx_;
};

class TlsSession {
 public:
  [[nodiscard]] static Result<TlsSession> create(std::shared_ptr<const TlsContext> context);
  TlsSession(TlsSession&&) noexcept;
  TlsSession& operator=(TlsSession&&) noexcept;
  ~TlsSession();

  // Bytes received from the server, in order.
  void feed_ciphertext(std::span<const std::byte> bytes);
  // Bytes to send to the server; valid until the next call on this session.
  [[nodiscard]] std::span<const std::byte> outgoing_ciphertext() const noexcept;
  void consume_outgoing(std::size_t n) noexcept;

  // Advances the handshake: true once it is complete (and the server's identity checked as the
  // options ask), false when it needs more ciphertext from the server (send outgoing first).
  [[nodiscard]] Result<bool> handshake();
  [[nodiscard]] bool handshake_done() const noexcept;

  // Whether the server sent a CertificateRequest, and whether a client certificate went back
  // (one is configured and client_cert_mode is not disable): for sslcertmode=require, which
  // libpq checks when the server accepts the session (AuthenticationOk).
  [[nodiscard]] bool client_certificate_requested() const noexcept;
  [[nodiscard]] bool client_certificate_sent() const noexcept;

  // Encrypts all of `plaintext` into the outgoing buffer.
  [[nodiscard]] Result<void> write_plaintext(std::span<const std::byte> plaintext);
  // Decrypts into `out`: the number of bytes written, 0 when more ciphertext is needed.
  // A clean close_notify from the server is an io error ("server closed the TLS session").
  [[nodiscard]] Result<std::size_t> read_plaintext(std::span<std::byte> out);
  // Plaintext already decrypted and buffered inside wolfSSL (no ciphertext needed to read it).
  [[nodiscard]] std::size_t buffered_plaintext() const noexcept;
  // Queue a close_notify alert (best effort, for a clean Terminate).
  void shutdown() noexcept;

  // The server's leaf certificate (DER), for SCRAM channel binding; empty before the handshake.
  [[nodiscard]] std::vector<std::byte> peer_certificate_der() const;
  [[nodiscard]] std::string protocol_version() const;  // e.g. "TLSv1.3"
  [[nodiscard]] std::string cipher() const;
  [[nodiscard]] std::string alpn_protocol() const;  // negotiated ALPN, empty when none

 struct State;  // opaque; public only so the wolfSSL I/O callbacks can name it

 private:
  explicit TlsSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// wolfCrypt keeps a per-thread cache of ECC points (FP_ECC): a thread that did TLS must release
// it before it ends, or it leaks. Threads that run reactors call this last.
void release_thread_caches() noexcept;

}  // namespace pgstream::tls
