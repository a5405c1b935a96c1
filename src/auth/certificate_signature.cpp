#include "pgstream/auth/certificate_signature.hpp"

#include <cstdint>
#include <optional>
#include <string>

#include "der_reader.hpp"

namespace pgstream::auth {
namespace {

using namespace std::string_view_literals;

// OIDs are compared as their DER content octets.
struct Digest {
  std::string_view oid;
  std::string_view name;
  std::optional<BindingHash> hash;  // nullopt: OpenSSL knows it, we cannot bind with it
};

// Digests OpenSSL recognises in RSASSA-PSS parameters; MD5 and SHA-1 already upgraded.
constexpr Digest k_digests[] = {
    {"\x2a\x86\x48\x86\xf7\x0d\x02\x05"sv, "MD5", BindingHash::sha256},
    {"\x2b\x0e\x03\x02\x1a"sv, "SHA-1", BindingHash::sha256},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x01"sv, "SHA-256", BindingHash::sha256},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x02"sv, "SHA-384", BindingHash::sha384},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x03"sv, "SHA-512", BindingHash::sha512},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x04"sv, "SHA-224", BindingHash::sha224},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x05"sv, "SHA-512/224", BindingHash::sha512_224},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x06"sv, "SHA-512/256", BindingHash::sha512_256},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x07"sv, "SHA3-224", BindingHash::sha3_224},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x08"sv, "SHA3-256", BindingHash::sha3_256},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x09"sv, "SHA3-384", BindingHash::sha3_384},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x0a"sv, "SHA3-512", BindingHash::sha3_512},
    // Extendable-output functions: no fixed digest for X509_digest.
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x0b"sv, "SHAKE128", std::nullopt},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x0c"sv, "SHAKE256", std::nullopt},
};

enum class Kind : std::uint8_t { digest, pss, no_digest, unsupported_digest };

struct SignatureAlgorithm {
  std::string_view oid;
  std::string_view name;
  Kind kind;
  BindingHash hash = BindingHash::sha256;  // for Kind::digest
};

// The signature OIDs OpenSSL maps to a digest (its obj_xref table), and the ones we must refuse.
constexpr SignatureAlgorithm k_signatures[] = {
    // PKCS #1 (1.2.840.113549.1.1.n)
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x02"sv, "md2WithRSAEncryption", Kind::unsupported_digest},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x03"sv, "md4WithRSAEncryption", Kind::unsupported_digest},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04"sv, "md5WithRSAEncryption", Kind::digest, BindingHash::sha256},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05"sv, "sha1WithRSAEncryption", Kind::digest, BindingHash::sha256},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"sv, "RSASSA-PSS", Kind::pss},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"sv, "sha256WithRSAEncryption", Kind::digest, BindingHash::sha256},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c"sv, "sha384WithRSAEncryption", Kind::digest, BindingHash::sha384},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d"sv, "sha512WithRSAEncryption", Kind::digest, BindingHash::sha512},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0e"sv, "sha224WithRSAEncryption", Kind::digest, BindingHash::sha224},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0f"sv, "sha512-224WithRSAEncryption", Kind::digest, BindingHash::sha512_224},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x10"sv, "sha512-256WithRSAEncryption", Kind::digest, BindingHash::sha512_256},
    // OIW (1.3.14.3.2.n)
    {"\x2b\x0e\x03\x02\x03"sv, "md5WithRSA (OIW)", Kind::digest, BindingHash::sha256},
    {"\x2b\x0e\x03\x02\x1b"sv, "dsaWithSHA1 (OIW)", Kind::digest, BindingHash::sha256},
    {"\x2b\x0e\x03\x02\x1d"sv, "sha1WithRSA (OIW)", Kind::digest, BindingHash::sha256},
    // ANSI X9.57 and X9.62
    {"\x2a\x86\x48\xce\x38\x04\x03"sv, "dsa-with-sha1", Kind::digest, BindingHash::sha256},
    {"\x2a\x86\x48\xce\x3d\x04\x01"sv, "ecdsa-with-SHA1", Kind::digest, BindingHash::sha256},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x01"sv, "ecdsa-with-SHA224", Kind::digest, BindingHash::sha224},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x02"sv, "ecdsa-with-SHA256", Kind::digest, BindingHash::sha256},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x03"sv, "ecdsa-with-SHA384", Kind::digest, BindingHash::sha384},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x04"sv, "ecdsa-with-SHA512", Kind::digest, BindingHash::sha512},
    // NIST (2.16.840.1.101.3.4.3.n)
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x01"sv, "dsa-with-sha224", Kind::digest, BindingHash::sha224},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x02"sv, "dsa-with-sha256", Kind::digest, BindingHash::sha256},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x03"sv, "dsa-with-sha384", Kind::digest, BindingHash::sha384},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x04"sv, "dsa-with-sha512", Kind::digest, BindingHash::sha512},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x05"sv, "dsa-with-sha3-224", Kind::digest, BindingHash::sha3_224},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x06"sv, "dsa-with-sha3-256", Kind::digest, BindingHash::sha3_256},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x07"sv, "dsa-with-sha3-384", Kind::digest, BindingHash::sha3_384},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x08"sv, "dsa-with-sha3-512", Kind::digest, BindingHash::sha3_512},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x09"sv, "ecdsa-with-sha3-224", Kind::digest, BindingHash::sha3_224},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x0a"sv, "ecdsa-with-sha3-256", Kind::digest, BindingHash::sha3_256},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x0b"sv, "ecdsa-with-sha3-384", Kind::digest, BindingHash::sha3_384},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x0c"sv, "ecdsa-with-sha3-512", Kind::digest, BindingHash::sha3_512},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x0d"sv, "rsassa-pkcs1-v1_5-with-sha3-224", Kind::digest, BindingHash::sha3_224},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x0e"sv, "rsassa-pkcs1-v1_5-with-sha3-256", Kind::digest, BindingHash::sha3_256},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x0f"sv, "rsassa-pkcs1-v1_5-with-sha3-384", Kind::digest, BindingHash::sha3_384},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x10"sv, "rsassa-pkcs1-v1_5-with-sha3-512", Kind::digest, BindingHash::sha3_512},
    // RFC 8410: the signature covers the message itself, there is no digest to pick.
    {"\x2b\x65\x70"sv, "Ed25519", Kind::no_digest},
    {"\x2b\x65\x71"sv, "Ed448", Kind::no_digest},
};

constexpr std::string_view k_mgf1 = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08"sv;

std::string_view as_chars(std::span<const std::byte> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Dotted form for messages; "(malformed OID)" when the octets are not a valid encoding.
std::string dotted(std::span<const std::byte> oid) {
  std::string out;
  std::uint64_t arc = 0;
  bool first = true;
  for (std::size_t i = 0; i < oid.size(); ++i) {
    const auto b = std::to_integer<std::uint8_t>(oid[i]);
    if (arc > (UINT64_MAX >> 7)) return "(malformed OID)";
    arc = (arc << 7) | (b & 0x7F);
    if (b & 0x80) continue;
    if (first) {
      const std::uint64_t top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      out = std::to_string(top) + "." + std::to_string(arc - 40 * top);
      first = false;
    } else {
      out += "." + std::to_string(arc);
    }
    arc = 0;
  }
  if (first || (std::to_integer<std::uint8_t>(oid.back()) & 0x80)) return "(malformed OID)";
  return out;
}

std::unexpected<Error> not_a_certificate(std::string_view why) {
  return make_error(ErrorCategory::tls, "channel binding: the server certificate is not valid DER (" +
                                            std::string(why) + ")");
}

std::unexpected<Error> cannot_bind(std::string_view what) {
  return make_error(ErrorCategory::unsupported,
                    "channel binding: the server certificate is signed with " + std::string(what) +
                        ", so there is no tls-server-end-point hash to bind to (channel_binding=prefer "
                        "connects without binding)");
}

const Digest* find_digest(std::span<const std::byte> oid) noexcept {
  for (const auto& d : k_digests)
    if (d.oid == as_chars(oid)) return &d;
  return nullptr;
}

// An AlgorithmIdentifier naming a digest OpenSSL knows, with any (or no) parameters.
std::optional<const Digest*> digest_identifier(std::span<const std::byte> body, std::string& unknown_oid) {
  der::Reader r(body);
  auto oid = r.next(der::k_oid);
  if (!oid) return std::nullopt;
  if (!r.empty() && (!r.next() || !r.empty())) return std::nullopt;
  const Digest* d = find_digest(oid->body);
  if (!d) unknown_oid = dotted(oid->body);
  return d;
}

bool non_negative_integer(std::span<const std::byte> body) noexcept {
  return !body.empty() && body.size() <= 8 && (std::to_integer<std::uint8_t>(body[0]) & 0x80) == 0;
}

// RSASSA-PSS-params (RFC 4055): hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2],
// trailerField [3], each optional, in this order.
Result<BindingHash> pss_hash(std::optional<der::Element> params) {
  if (!params || params->tag != der::k_sequence) return cannot_bind("RSASSA-PSS without its parameters");
  const auto malformed = [] { return cannot_bind("RSASSA-PSS whose parameters are malformed"); };
  der::Reader r(params->body);
  BindingHash hash = BindingHash::sha256;  // the default hash is SHA-1, upgraded
  std::string unknown;
  if (r.peek_tag() == der::context(0)) {
    auto field = r.next();
    if (!field) return malformed();
    der::Reader inner(field->body);
    auto alg = inner.next(der::k_sequence);
    if (!alg || !inner.empty()) return malformed();
    auto d = digest_identifier(alg->body, unknown);
    if (!d) return malformed();
    if (!*d) return cannot_bind("RSASSA-PSS with the unknown hash " + unknown);
    if (!(*d)->hash) return cannot_bind("RSASSA-PSS with hash " + std::string((*d)->name) + ", which has no fixed size");
    hash = *(*d)->hash;
  }
  if (r.peek_tag() == der::context(1)) {
    // OpenSSL refuses the parameters unless the mask is MGF1 over a digest it knows.
    auto field = r.next();
    if (!field) return malformed();
    der::Reader inner(field->body);
    auto alg = inner.next(der::k_sequence);
    if (!alg || !inner.empty()) return malformed();
    der::Reader mgf(alg->body);
    auto oid = mgf.next(der::k_oid);
    if (!oid) return malformed();
    if (as_chars(oid->body) != k_mgf1) return cannot_bind("RSASSA-PSS with the mask generation function " + dotted(oid->body));
    auto mgf_hash = mgf.next(der::k_sequence);
    if (!mgf_hash || !mgf.empty()) return malformed();
    auto d = digest_identifier(mgf_hash->body, unknown);
    if (!d) return malformed();
    if (!*d) return cannot_bind("RSASSA-PSS with MGF1 over the unknown hash " + unknown);
  }
  for (std::uint8_t n : {std::uint8_t{2}, std::uint8_t{3}}) {
    if (r.peek_tag() != der::context(n)) continue;
    auto field = r.next();
    if (!field) return malformed();
    der::Reader inner(field->body);
    auto value = inner.next(der::k_integer);
    if (!value || !inner.empty() || !non_negative_integer(value->body)) return malformed();
    // trailerField: PKCS #1 defines only 1 (the 0xBC trailer), and OpenSSL refuses any other.
    if (n == 3 && !(value->body.size() == 1 && std::to_integer<std::uint8_t>(value->body[0]) == 1))
      return cannot_bind("RSASSA-PSS with a trailer field other than 1");
  }
  if (!r.empty()) return malformed();
  return hash;
}

}  // namespace

std::string_view to_string(BindingHash hash) noexcept {
  switch (hash) {
    case BindingHash::sha224: return "SHA-224";
    case BindingHash::sha256: return "SHA-256";
    case BindingHash::sha384: return "SHA-384";
    case BindingHash::sha512: return "SHA-512";
    case BindingHash::sha512_224: return "SHA-512/224";
    case BindingHash::sha512_256: return "SHA-512/256";
    case BindingHash::sha3_224: return "SHA3-224";
    case BindingHash::sha3_256: return "SHA3-256";
    case BindingHash::sha3_384: return "SHA3-384";
    case BindingHash::sha3_512: return "SHA3-512";
  }
  return "?";
}

Result<BindingHash> tls_server_end_point_hash_algorithm(std::span<const std::byte> cert_der) {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
  der::Reader top(cert_der);
  auto cert = top.next(der::k_sequence);
  if (!cert) return not_a_certificate("no Certificate SEQUENCE");
  if (!top.empty()) return not_a_certificate("bytes after the Certificate");
  der::Reader fields(cert->body);
  auto tbs = fields.next(der::k_sequence);
  auto algorithm = tbs ? fields.next(der::k_sequence) : std::nullopt;
  auto signature = algorithm ? fields.next(der::k_bit_string) : std::nullopt;
  if (!signature || !fields.empty()) return not_a_certificate("not tbsCertificate, signatureAlgorithm, signatureValue");

  // AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
  der::Reader alg(algorithm->body);
  auto oid = alg.next(der::k_oid);
  if (!oid || oid->body.empty()) return not_a_certificate("signatureAlgorithm has no OID");
  std::optional<der::Element> params;
  if (!alg.empty()) {
    params = alg.next();
    if (!params || !alg.empty()) return not_a_certificate("signatureAlgorithm parameters");
  }

  for (const auto& s : k_signatures) {
    if (s.oid != as_chars(oid->body)) continue;
    switch (s.kind) {
      case Kind::digest: return s.hash;
      case Kind::pss: return pss_hash(params);
      case Kind::no_digest:
        return cannot_bind(std::string(s.name) +
                           ", which signs without a separate digest (RFC 5929 names no hash for it, and "
                           "PostgreSQL's server cannot bind to it either)");
      case Kind::unsupported_digest: return cannot_bind(std::string(s.name) + " (" + dotted(oid->body) + ")");
    }
  }
  return cannot_bind("the unknown signature algorithm " + dotted(oid->body));
}

}  // namespace pgstream::auth
