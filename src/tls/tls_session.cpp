// wolfSSL driven over memory: the I/O callbacks read from and write to buffers of the session,
// never a socket, so whoever owns the socket (blocking client or io_uring reactor) moves bytes.

#include "pgstream/tls/tls_session.hpp"

#include "pgstream/tls/certificate_names.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string_view>

namespace pgstream::tls {
namespace {

void init_wolfssl_once() {
  static std::once_flag once;
  std::call_once(once, [] { wolfSSL_Init(); });
}

std::string wolfssl_error_text(int err) {
  char buf[WOLFSSL_MAX_ERROR_SZ] = {};
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(err), buf, sizeof buf);
  return buf;
}

bool is_ip_literal(const std::string& host) {
  unsigned char addr[16];
  return inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

// Errors wolfSSL reports when the server's certificate is not trusted or not for this host.
bool is_verification_error(int err) {
  switch (err) {
    case ASN_NO_SIGNER_E:
    case ASN_SELF_SIGNED_E:
    case ASN_AFTER_DATE_E:
    case ASN_BEFORE_DATE_E:
    case ASN_SIG_CONFIRM_E:
    case ASN_PATHLEN_INV_E:
    case DOMAIN_NAME_MISMATCH:
    case IPADDR_MISMATCH:
    case VERIFY_CERT_ERROR:
    case BAD_CERT_MANAGER_ERROR:
    case CRL_CERT_REVOKED:
    case CRL_MISSING:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct TlsSession::State {
  std::shared_ptr<const TlsContext> context;
  WOLFSSL* ssl = nullptr;
  std::vector<std::byte> in;   // ciphertext received, not yet consumed by wolfSSL
  std::size_t in_pos = 0;
  std::vector<std::byte> out;  // ciphertext produced, not yet sent
  std::size_t out_pos = 0;
  bool done = false;
  bool cert_requested = false;  // the server sent a CertificateRequest

  ~State() {
    if (ssl) wolfSSL_free(ssl);
  }

  static int recv_callback(WOLFSSL*, char* buf, int sz, void* user) {
    auto* s = static_cast<State*>(user);
    const std::size_t avail = s->in.size() - s->in_pos;
    if (avail == 0) return WOLFSSL_CBIO_ERR_WANT_READ;
    const std::size_t n = std::min(avail, static_cast<std::size_t>(sz));
    std::memcpy(buf, s->in.data() + s->in_pos, n);
    s->in_pos += n;
    if (s->in_pos == s->in.size()) {  // keep the buffer, drop its contents
      s->in.clear();
      s->in_pos = 0;
    }
    return static_cast<int>(n);
  }

  static int send_callback(WOLFSSL*, char* buf, int sz, void* user) {
    auto* s = static_cast<State*>(user);
    const auto* p = reinterpret_cast<const std::byte*>(buf);
    s->out.insert(s->out.end(), p, p + sz);
    return sz;
  }

  // wolfSSL calls this when the server's CertificateRequest arrives (libpq's cert_cb does the
  // same with OpenSSL): the only way to learn that the server asked, for sslcertmode=require.
  static int cert_setup_callback(WOLFSSL* ssl, void*) {
    if (auto* s = static_cast<State*>(wolfSSL_GetIOReadCtx(ssl))) s->cert_requested = true;
    return 1;  // go on, with whatever certificate the context has (or none)
  }
};

namespace {

// One CRL file, PEM or DER (libpq reads PEM; DER costs nothing to accept).
int load_crl_file(WOLFSSL_CTX* ctx, const std::string& path) {
  int rc = wolfSSL_CTX_LoadCRLFile(ctx, path.c_str(), WOLFSSL_FILETYPE_PEM);
  if (rc != WOLFSSL_SUCCESS) rc = wolfSSL_CTX_LoadCRLFile(ctx, path.c_str(), WOLFSSL_FILETYPE_ASN1);
  return rc;
}

// sslcrl / sslcrldir. wolfSSL's own directory loader only reads PEM files named *.pem, while
// libpq's directories hold OpenSSL-hashed names (abcd1234.r0): every regular file is tried, and
// files that are not CRLs are skipped (OpenSSL would never look them up either).
Result<void> load_crls(WOLFSSL_CTX* ctx, const TlsOptions& o) {
  if (o.crl_file.empty() && o.crl_dir.empty()) return {};
  if (wolfSSL_CTX_EnableCRL(ctx, WOLFSSL_CRL_CHECKALL) != WOLFSSL_SUCCESS)
    return make_error(ErrorCategory::tls, "cannot enable certificate revocation list checks");
  if (!o.crl_file.empty()) {
    if (int rc = load_crl_file(ctx, o.crl_file); rc != WOLFSSL_SUCCESS)
      return make_error(ErrorCategory::config, "cannot load certificate revocation list \"" + o.crl_file +
                                                   "\" (sslcrl): " + wolfssl_error_text(rc));
  }
  if (!o.crl_dir.empty()) {
    std::error_code ec;
    std::filesystem::directory_iterator it(o.crl_dir, ec), end;
    if (ec)
      return make_error(ErrorCategory::config, "cannot read certificate revocation list directory \"" + o.crl_dir +
                                                   "\" (sslcrldir): " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file(ec)) (void)load_crl_file(ctx, it->path().string());
    }
    if (ec)
      return make_error(ErrorCategory::config, "cannot read certificate revocation list directory \"" + o.crl_dir +
                                                   "\" (sslcrldir): " + ec.message());
  }
  return {};
}

}  // namespace


struct WolfCtxDeleter {
  void operator()(WOLFSSL_CTX* c) const noexcept { wolfSSL_CTX_free(c); }
};

Result<std::shared_ptr<const TlsContext>> TlsContext::create(const TlsOptions& options) {
  init_wolfssl_once();
  WOLFSSL_METHOD* method = options.max_version == TlsVersion::tls1_2 ? wolfTLSv1_2_client_method()
                                                                    : wolfSSLv23_client_method();
  std::unique_ptr<WOLFSSL_CTX, WolfCtxDeleter> ctx(wolfSSL_CTX_new(method));
  if (!ctx) return make_error(ErrorCategory::tls, "cannot create a TLS context (out of memory?)");

  const int min = options.min_version == TlsVersion::tls1_3 ? WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2;
  if (wolfSSL_CTX_SetMinVersion(ctx.get(), min) != WOLFSSL_SUCCESS)
    return make_error(ErrorCategory::tls, "cannot set the minimum TLS version");

  if (options.verify == VerifyMode::none) {
    wolfSSL_CTX_set_verify(ctx.get(), WOLFSSL_VERIFY_NONE, nullptr);
  } else {
    if (options.root_cert_file.empty())
      return make_error(ErrorCategory::config,
                        "certificate verification needs trusted roots: set sslrootcert=FILE "
                        "(or sslrootcert=system)");
    int rc = options.root_cert_file == "system"
                 ? wolfSSL_CTX_load_system_CA_certs(ctx.get())
                 : wolfSSL_CTX_load_verify_locations(ctx.get(), options.root_cert_file.c_str(), nullptr);
    if (rc != WOLFSSL_SUCCESS)
      return make_error(ErrorCategory::config, "cannot load trusted root certificates from \"" +
                                                   options.root_cert_file + "\": " + wolfssl_error_text(rc));
    wolfSSL_CTX_set_verify(ctx.get(), WOLFSSL_VERIFY_PEER, nullptr);
    // As libpq: revocation lists only mean something when the chain is verified.
    if (auto r = load_crls(ctx.get(), options); !r) return std::unexpected(r.error());
  }

  if (options.client_cert_file.empty() != options.client_key_file.empty())
    return make_error(ErrorCategory::config, "a client certificate needs both sslcert and sslkey");
  const bool sends_client_cert = !options.client_cert_file.empty() && options.client_cert_mode != ClientCertMode::disable;
  // libpq would connect and fail once the server accepts us (no certificate was sent, or none
  // asked for); with nothing to send that is certain, so say why now.
  if (options.client_cert_mode == ClientCertMode::require && options.client_cert_file.empty())
    return make_error(ErrorCategory::config,
                      "sslcertmode=require needs a client certificate: set sslcert and sslkey");
  if (sends_client_cert) {
    int rc = wolfSSL_CTX_use_certificate_chain_file(ctx.get(), options.client_cert_file.c_str());
    if (rc != WOLFSSL_SUCCESS)
      return make_error(ErrorCategory::config, "cannot load client certificate \"" +
                                                   options.client_cert_file + "\": " + wolfssl_error_text(rc));
    rc = wolfSSL_CTX_use_PrivateKey_file(ctx.get(), options.client_key_file.c_str(), WOLFSSL_FILETYPE_PEM);
    if (rc != WOLFSSL_SUCCESS)
      return make_error(ErrorCategory::config, "cannot load client key \"" + options.client_key_file +
                                                   "\": " + wolfssl_error_text(rc));
  }

  if (sends_client_cert) {
    // Only with a certificate to send: wolfSSL 5.5.4 with this callback set and no certificate
    // answers a CertificateRequest with a broken message (BUFFER_E) instead of an empty one.
    wolfSSL_CTX_set_cert_cb(ctx.get(), &TlsSession::State::cert_setup_callback, nullptr);
  }
  wolfSSL_CTX_SetIORecv(ctx.get(), &TlsSession::State::recv_callback);
  wolfSSL_CTX_SetIOSend(ctx.get(), &TlsSession::State::send_callback);
  return std::shared_ptr<const TlsContext>(new TlsContext(options, ctx.release()));
}

}  // namespace pgstream::tls

namespace pgstream::tls {

TlsContext::~TlsContext() { wolfSSL_CTX_free(static_cast<WOLFSSL_CTX*>(ctx_)); }

TlsSession::TlsSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
TlsSession::TlsSession(TlsSession&&) noexcept = default;
TlsSession& TlsSession::operator=(TlsSession&&) noexcept = default;
TlsSession::~TlsSession() = default;

Result<TlsSession> TlsSession::create(std::shared_ptr<const TlsContext> context) {
  auto state = std::make_unique<State>();
  state->ssl = wolfSSL_new(static_cast<WOLFSSL_CTX*>(context->native()));
  if (!state->ssl) return make_error(ErrorCategory::tls, "cannot create a TLS session (out of memory?)");
  wolfSSL_SetIOReadCtx(state->ssl, state.get());
  wolfSSL_SetIOWriteCtx(state->ssl, state.get());

  const TlsOptions& o = context->options();
  if (o.send_sni && !o.server_name.empty() && !is_ip_literal(o.server_name)) {
    if (wolfSSL_UseSNI(state->ssl, WOLFSSL_SNI_HOST_NAME, o.server_name.data(),
                       static_cast<unsigned short>(o.server_name.size())) != WOLFSSL_SUCCESS)
      return make_error(ErrorCategory::tls, "cannot set the TLS server name indication");
  }
  if (o.alpn_postgresql) {
    char alpn[] = "postgresql";
    if (wolfSSL_UseALPN(state->ssl, alpn, sizeof alpn - 1, WOLFSSL_ALPN_FAILED_ON_MISMATCH) != WOLFSSL_SUCCESS)
      return make_error(ErrorCategory::tls, "cannot offer ALPN \"postgresql\"");
  }
  state->context = std::move(context);
  return TlsSession(std::move(state));
}

void TlsSession::feed_ciphertext(std::span<const std::byte> bytes) {
  // Compact first so the buffer stays as large as one burst, not the whole session.
  if (state_->in_pos > 0 && state_->in_pos * 2 >= state_->in.size()) {
    state_->in.erase(state_->in.begin(), state_->in.begin() + static_cast<std::ptrdiff_t>(state_->in_pos));
    state_->in_pos = 0;
  }
  state_->in.insert(state_->in.end(), bytes.begin(), bytes.end());
}

std::span<const std::byte> TlsSession::outgoing_ciphertext() const noexcept {
  return std::span<const std::byte>(state_->out).subspan(state_->out_pos);
}

void TlsSession::consume_outgoing(std::size_t n) noexcept {
  state_->out_pos = std::min(state_->out_pos + n, state_->out.size());
  if (state_->out_pos == state_->out.size()) {
    state_->out.clear();
    state_->out_pos = 0;
  }
}

bool TlsSession::handshake_done() const noexcept { return state_->done; }

bool TlsSession::client_certificate_requested() const noexcept { return state_->cert_requested; }

bool TlsSession::client_certificate_sent() const noexcept {
  const TlsOptions& o = state_->context->options();
  return state_->cert_requested && !o.client_cert_file.empty() && o.client_cert_mode != ClientCertMode::disable;
}

namespace {

// The DER of the server's own certificate (empty when there is none), as wolfSSL keeps it.
std::span<const std::byte> leaf_certificate(WOLFSSL* ssl) {
  WOLFSSL_X509_CHAIN* chain = wolfSSL_get_peer_chain(ssl);
  if (!chain || wolfSSL_get_chain_count(chain) < 1) return {};
  const int len = wolfSSL_get_chain_length(chain, 0);
  const auto* der = reinterpret_cast<const std::byte*>(wolfSSL_get_chain_cert(chain, 0));
  if (!der || len <= 0) return {};
  return {der, static_cast<std::size_t>(len)};
}

// libpq's verify-full: the certificate must name the host the user asked for (IP SAN for an IP
// literal; DNS SAN, else CN, for a name; wildcards as libpq). Read from the leaf's DER by our
// reader: wolfSSL builds no X509 object for some key types it verifies (Ed25519).
Result<void> check_server_name(WOLFSSL* ssl, const std::string& name) {
  const auto leaf = leaf_certificate(ssl);
  if (leaf.empty()) return make_error(ErrorCategory::tls, "server sent no certificate");
  auto names = certificate_names(leaf);
  if (!names) return std::unexpected(names.error());
  if (!certificate_matches_host(*names, name))
    return make_error(ErrorCategory::tls, "server certificate does not match host name \"" + name + "\": " +
                                              describe_names(*names) + " (sslmode=verify-full)");
  return {};
}

}  // namespace

Result<bool> TlsSession::handshake() {
  if (state_->done) return true;
  const int rc = wolfSSL_connect(state_->ssl);
  if (rc != WOLFSSL_SUCCESS) {
    const int err = wolfSSL_get_error(state_->ssl, rc);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) return false;
    if (is_verification_error(err))
      return make_error(ErrorCategory::tls,
                        "server certificate verification failed: " + wolfssl_error_text(err));
    return make_error(ErrorCategory::tls, "TLS handshake failed: " + wolfssl_error_text(err));
  }
  const TlsOptions& o = state_->context->options();
  if (o.alpn_postgresql) {
    // libpq 17: a direct TLS connection is only trusted to reach Postgres when the server chose
    // ALPN "postgresql" (a server choosing another protocol already failed the handshake).
    if (alpn_protocol() != "postgresql")
      return make_error(ErrorCategory::tls,
                        "direct SSL connection was established without ALPN protocol negotiation extension");
  }
  if (o.verify == VerifyMode::verify_full) {
    if (o.server_name.empty())
      return make_error(ErrorCategory::config, "sslmode=verify-full needs a host name to check");
    if (auto r = check_server_name(state_->ssl, o.server_name); !r) return std::unexpected(r.error());
  }
  state_->done = true;
  return true;
}

Result<void> TlsSession::write_plaintext(std::span<const std::byte> plaintext) {
  std::size_t off = 0;
  while (off < plaintext.size()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(plaintext.size() - off, 1 << 30));
    const int rc = wolfSSL_write(state_->ssl, plaintext.data() + off, chunk);
    if (rc <= 0) {
      const int err = wolfSSL_get_error(state_->ssl, rc);
      return make_error(ErrorCategory::tls, "TLS write failed: " + wolfssl_error_text(err));
    }
    off += static_cast<std::size_t>(rc);
  }
  return {};
}

Result<std::size_t> TlsSession::read_plaintext(std::span<std::byte> out) {
  if (out.empty()) return std::size_t{0};
  const int chunk = static_cast<int>(std::min<std::size_t>(out.size(), 1 << 30));
  const int rc = wolfSSL_read(state_->ssl, out.data(), chunk);
  if (rc > 0) return static_cast<std::size_t>(rc);
  const int err = wolfSSL_get_error(state_->ssl, rc);
  if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) return std::size_t{0};
  if (err == WOLFSSL_ERROR_ZERO_RETURN)
    return make_error(ErrorCategory::io, "server closed the TLS session");
  return make_error(ErrorCategory::tls, "TLS read failed: " + wolfssl_error_text(err));
}

std::size_t TlsSession::buffered_plaintext() const noexcept {
  const int n = wolfSSL_pending(state_->ssl);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void TlsSession::shutdown() noexcept {
  if (state_->done) (void)wolfSSL_shutdown(state_->ssl);
}

std::vector<std::byte> TlsSession::peer_certificate_der() const {
  if (!state_->done) return {};
  const auto leaf = leaf_certificate(state_->ssl);
  return {leaf.begin(), leaf.end()};
}

std::string TlsSession::protocol_version() const { return wolfSSL_get_version(state_->ssl); }

std::string TlsSession::cipher() const {
  const char* c = wolfSSL_get_cipher_name(state_->ssl);
  return c ? c : "";
}

std::string TlsSession::alpn_protocol() const {
  char* name = nullptr;
  unsigned short size = 0;
  if (wolfSSL_ALPN_GetProtocol(state_->ssl, &name, &size) != WOLFSSL_SUCCESS || !name) return {};
  return std::string(name, size);
}

void release_thread_caches() noexcept {
#if defined(HAVE_ECC) && defined(FP_ECC)
  wc_ecc_fp_free();
#endif
}

}  // namespace pgstream::tls
