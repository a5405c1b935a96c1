#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/pwdbased.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "pgstream/auth/scram.hpp"

#include <algorithm>
#include <charconv>

#include "pgstream/auth/base64.hpp"
#include "pgstream/auth/saslprep.hpp"
#include "pgstream/protocol/types/text_util.hpp"
#include "secure_memory.hpp"

namespace pgstream::auth {
namespace {

constexpr std::size_t k_key_size = WC_SHA256_DIGEST_SIZE;
constexpr std::size_t k_nonce_bytes = 24;
using Key = std::array<std::byte, k_key_size>;

static_assert(k_key_size == 32);

[[nodiscard]] std::unexpected<Error> auth_error(std::string message) {
  return make_error(ErrorCategory::auth, std::move(message));
}

[[nodiscard]] std::unexpected<Error> malformed(std::string_view what) {
  return auth_error("malformed SCRAM " + std::string(what) + " from the server");
}

const byte* as_wc(const void* p) { return static_cast<const byte*>(p); }
byte* as_wc(void* p) { return static_cast<byte*>(p); }

// A wolfCrypt HMAC-SHA-256 context that is always freed and wiped (it holds key material).
class Hmac256 {
 public:
  Hmac256() { ok_ = wc_HmacInit(&hmac_, nullptr, INVALID_DEVID) == 0; inited_ = ok_; }
  ~Hmac256() {
    if (inited_) wc_HmacFree(&hmac_);
    detail::secure_zero(&hmac_, sizeof hmac_);
  }
  Hmac256(const Hmac256&) = delete;
  Hmac256& operator=(const Hmac256&) = delete;

  // HMAC(key, parts...) into `out`.
  template <class... Parts>
  [[nodiscard]] bool compute(std::span<const std::byte> key, Key& out, const Parts&... parts) {
    ok_ = ok_ && wc_HmacSetKey(&hmac_, WC_SHA256, as_wc(key.data()), static_cast<word32>(key.size())) == 0;
    (update(parts), ...);
    ok_ = ok_ && wc_HmacFinal(&hmac_, as_wc(out.data())) == 0;
    return ok_;
  }

 private:
  void update(std::string_view part) {
    ok_ = ok_ && wc_HmacUpdate(&hmac_, as_wc(part.data()), static_cast<word32>(part.size())) == 0;
  }
  Hmac hmac_{};
  bool ok_ = false;
  bool inited_ = false;
};

bool is_nonce_char(char c) { return c >= 0x21 && c <= 0x7E && c != ','; }

// RFC 5802 saslname: ',' and '=' are escaped.
std::string escape_saslname(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '=') {
      out += "=3D";
    } else if (c == ',') {
      out += "=2C";
    } else {
      out += c;
    }
  }
  return out;
}

// Reads "<name>=<value>" at the front of `rest`, up to the next ',' or the end, and consumes
// it (not the comma). Returns false when the attribute is not there.
bool take_attribute(std::string_view& rest, char name, std::string_view& value) {
  if (rest.size() < 2 || rest[0] != name || rest[1] != '=') return false;
  const std::size_t end = std::min(rest.find(','), rest.size());
  value = rest.substr(2, end - 2);
  rest.remove_prefix(end);
  return true;
}

bool take_comma(std::string_view& rest) {
  if (!rest.starts_with(',')) return false;
  rest.remove_prefix(1);
  return true;
}

// What may follow the mandatory attributes: nothing, or ",x=..." extensions, which we ignore.
bool only_extensions(std::string_view rest) {
  while (!rest.empty()) {
    if (rest.size() < 3 || rest[0] != ',' || rest[2] != '=') return false;
    const char c = rest[1];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    rest.remove_prefix(std::min(rest.find(',', 1), rest.size()));
  }
  return true;
}

std::string_view as_chars(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

Result<ScramClient> ScramClient::create(const ScramConfig& config) {
  ScramClient c;
  const bool binding = config.channel_binding == ChannelBindingMode::tls_server_end_point;
  if (binding && config.binding_data.empty()) {
    return make_error(ErrorCategory::config,
                      "SCRAM channel binding needs the server certificate hash; none was given");
  }
  c.plus_ = binding && config.server_offers_plus;
  if (c.plus_) {
    c.gs2_header_ = "p=tls-server-end-point,,";
    c.binding_data_.assign(config.binding_data.begin(), config.binding_data.end());
  } else {
    c.gs2_header_ = binding || config.channel_binding == ChannelBindingMode::supported_not_offered ? "y,," : "n,,";
  }

  if (!config.client_nonce.empty()) {
    if (!std::all_of(config.client_nonce.begin(), config.client_nonce.end(), is_nonce_char)) {
      return make_error(ErrorCategory::config, "SCRAM client nonce must be printable ASCII without ','");
    }
    c.client_nonce_ = config.client_nonce;
  } else {
    std::array<std::byte, k_nonce_bytes> raw{};
    WC_RNG rng{};
    bool ok = wc_InitRng(&rng) == 0;
    if (ok) {
      ok = wc_RNG_GenerateBlock(&rng, as_wc(raw.data()), static_cast<word32>(raw.size())) == 0;
      wc_FreeRng(&rng);
    }
    if (!ok) return auth_error("SCRAM: wolfCrypt's random number generator failed; cannot make a nonce");
    c.client_nonce_ = base64_encode(raw);
  }

  c.password_ = scram_password(config.password);
  c.client_first_ = c.gs2_header_ + "n=" + escape_saslname(config.username) + ",r=" + c.client_nonce_;
  return c;
}

ScramClient::ScramClient(ScramClient&& other) noexcept
    : state_(other.state_),
      plus_(other.plus_),
      password_(std::move(other.password_)),
      gs2_header_(std::move(other.gs2_header_)),
      binding_data_(std::move(other.binding_data_)),
      client_nonce_(std::move(other.client_nonce_)),
      client_first_(std::move(other.client_first_)),
      expected_server_signature_(other.expected_server_signature_) {
  other.wipe();
}

ScramClient& ScramClient::operator=(ScramClient&& other) noexcept {
  if (this != &other) {
    wipe();
    state_ = other.state_;
    plus_ = other.plus_;
    password_ = std::move(other.password_);
    gs2_header_ = std::move(other.gs2_header_);
    binding_data_ = std::move(other.binding_data_);
    client_nonce_ = std::move(other.client_nonce_);
    client_first_ = std::move(other.client_first_);
    expected_server_signature_ = other.expected_server_signature_;
    other.wipe();
  }
  return *this;
}

ScramClient::~ScramClient() { wipe(); }

void ScramClient::wipe() noexcept {
  detail::secure_zero(password_);
  detail::secure_zero(expected_server_signature_);
}

std::string_view ScramClient::mechanism() const noexcept {
  return plus_ ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-256";
}

Result<std::string> ScramClient::handle_server_first(std::string_view server_first) {
  if (state_ != State::awaiting_server_first) {
    return auth_error(state_ == State::failed ? "SCRAM: the exchange already failed; start a new connection"
                                              : "SCRAM: the server sent a second server-first-message");
  }
  state_ = State::failed;  // until proven otherwise

  if (server_first.starts_with("m=")) {
    return auth_error("SCRAM: the server requires an extension (m=) this client does not support");
  }
  std::string_view rest = server_first;
  std::string_view nonce, salt_b64, iterations_text;
  if (!take_attribute(rest, 'r', nonce)) return malformed("server-first-message (no nonce r=)");
  if (!take_comma(rest) || !take_attribute(rest, 's', salt_b64)) {
    return malformed("server-first-message (no salt s=)");
  }
  if (!take_comma(rest) || !take_attribute(rest, 'i', iterations_text)) {
    return malformed("server-first-message (no iteration count i=)");
  }
  if (!only_extensions(rest)) return malformed("server-first-message (garbage after i=)");

  if (!std::all_of(nonce.begin(), nonce.end(), is_nonce_char)) {
    return malformed("server-first-message (invalid character in nonce)");
  }
  if (nonce.size() <= client_nonce_.size() || !nonce.starts_with(client_nonce_)) {
    return auth_error("SCRAM: the server's nonce does not extend the client's; refusing (possible replay)");
  }
  auto salt = base64_decode(salt_b64);
  if (!salt) return malformed("server-first-message (salt is not valid base64)");
  if (salt->empty()) return malformed("server-first-message (empty salt)");

  std::uint32_t iterations = 0;
  const char* first = iterations_text.data();
  const char* last = first + iterations_text.size();
  const bool digits = !iterations_text.empty() &&
                      std::all_of(iterations_text.begin(), iterations_text.end(),
                                  [](char ch) { return ch >= '0' && ch <= '9'; });
  auto [end, ec] = std::from_chars(first, last, iterations);
  if (!digits || ec != std::errc{} || end != last) {
    if (digits && ec == std::errc::result_out_of_range) {
      return auth_error("SCRAM: the server asks for more than " + std::to_string(k_max_iterations) +
                        " iterations; refusing (too costly)");
    }
    return malformed("server-first-message (iteration count is not a number)");
  }
  if (iterations < 1) return malformed("server-first-message (iteration count 0)");
  if (iterations > k_max_iterations) {
    return auth_error("SCRAM: the server asks for " + std::to_string(iterations) + " iterations, more than " +
                      std::to_string(k_max_iterations) + "; refusing (too costly)");
  }

  std::string channel = gs2_header_;
  channel.append(as_chars(binding_data_));
  std::string client_final = "c=" + base64_encode(channel) + ",r=";
  client_final.append(nonce);
  const std::string_view client_first_bare = std::string_view(client_first_).substr(gs2_header_.size());

  // Every intermediate key is wiped on every exit path.
  struct Keys {
    Key salted{}, client_key{}, stored_key{}, client_signature{}, server_key{}, proof{};
    ~Keys() {
      for (Key* k : {&salted, &client_key, &stored_key, &client_signature, &server_key, &proof}) {
        detail::secure_zero(*k);
      }
    }
  } k;
  auto& [salted, client_key, stored_key, client_signature, server_key, proof] = k;

  bool ok = wc_PBKDF2(as_wc(salted.data()), as_wc(password_.data()), static_cast<int>(password_.size()),
                      as_wc(salt->data()), static_cast<int>(salt->size()), static_cast<int>(iterations),
                      static_cast<int>(salted.size()), WC_SHA256) == 0;
  ok = ok && Hmac256().compute(salted, client_key, std::string_view("Client Key"));
  ok = ok && wc_Sha256Hash(as_wc(client_key.data()), static_cast<word32>(client_key.size()),
                           as_wc(stored_key.data())) == 0;
  ok = ok && Hmac256().compute(stored_key, client_signature, client_first_bare, std::string_view(","), server_first,
                               std::string_view(","), std::string_view(client_final));
  ok = ok && Hmac256().compute(salted, server_key, std::string_view("Server Key"));
  ok = ok && Hmac256().compute(server_key, expected_server_signature_, client_first_bare, std::string_view(","),
                               server_first, std::string_view(","), std::string_view(client_final));
  if (!ok) return auth_error("SCRAM: wolfCrypt failed to derive the keys (PBKDF2/HMAC-SHA-256)");

  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = client_key[i] ^ client_signature[i];
  client_final += ",p=";
  client_final += base64_encode(proof);
  detail::secure_zero(password_);  // the expected server signature is all we still need
  state_ = State::awaiting_server_final;
  return client_final;
}

Result<void> ScramClient::handle_server_final(std::string_view server_final) {
  if (state_ != State::awaiting_server_final) {
    return auth_error(state_ == State::failed ? "SCRAM: the exchange already failed; start a new connection"
                                              : "SCRAM: the server sent its final message out of turn");
  }
  state_ = State::failed;
  std::string_view rest = server_final;
  std::string_view value;
  if (take_attribute(rest, 'e', value)) {
    wipe();
    return auth_error("SCRAM: the server rejected the authentication: " + protocol::text_util::quote_excerpt(value));
  }
  if (!take_attribute(rest, 'v', value) || !only_extensions(rest)) {
    wipe();
    return malformed("server-final-message (no verifier v=)");
  }
  auto signature = base64_decode(value);
  if (!signature) {
    wipe();
    return malformed("server-final-message (verifier is not valid base64)");
  }
  const bool match = detail::constant_time_equal(*signature, expected_server_signature_);
  wipe();
  if (!match) {
    return auth_error("server signature mismatch: the server does not know the password (possible man-in-the-middle)");
  }
  state_ = State::complete;
  return {};
}

}  // namespace pgstream::auth
