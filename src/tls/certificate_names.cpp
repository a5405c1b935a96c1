#include "pgstream/tls/certificate_names.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "../auth/der_reader.hpp"

namespace pgstream::tls {

namespace der = auth::der;

namespace {

constexpr std::uint8_t k_set = 0x31;
constexpr std::uint8_t k_octet_string = 0x04;
constexpr std::uint8_t k_boolean = 0x01;
constexpr std::uint8_t k_dns_name = 0x82;    // GeneralName [2] IA5String, implicit
constexpr std::uint8_t k_ip_address = 0x87;  // GeneralName [7] OCTET STRING, implicit
constexpr std::byte k_oid_common_name[] = {std::byte{0x55}, std::byte{0x04}, std::byte{0x03}};        // 2.5.4.3
constexpr std::byte k_oid_subject_alt_name[] = {std::byte{0x55}, std::byte{0x1d}, std::byte{0x11}};   // 2.5.29.17

bool same_oid(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

std::string as_string(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::unexpected<Error> malformed(std::string_view where) {
  return make_error(ErrorCategory::tls, "the server certificate is not valid DER (" + std::string(where) +
                                            "), so its host names cannot be checked");
}

// Name ::= SEQUENCE OF SET OF { type OID, value }: the values of every CN.
bool read_common_names(std::span<const std::byte> name, std::vector<std::string>& out) {
  der::Reader rdns(name);
  while (!rdns.empty()) {
    auto rdn = rdns.next(k_set);
    if (!rdn) return false;
    der::Reader atvs(rdn->body);
    while (!atvs.empty()) {
      auto atv = atvs.next(der::k_sequence);
      if (!atv) return false;
      der::Reader fields(atv->body);
      auto type = fields.next(der::k_oid);
      auto value = fields.next();
      if (!type || !value) return false;
      if (same_oid(type->body, k_oid_common_name)) out.push_back(as_string(value->body));
    }
  }
  return true;
}

bool read_alt_names(std::span<const std::byte> general_names, CertificateNames& out) {
  der::Reader outer(general_names);
  auto seq = outer.next(der::k_sequence);
  if (!seq || !outer.empty()) return false;
  der::Reader names(seq->body);
  while (!names.empty()) {
    auto n = names.next();
    if (!n) return false;
    if (n->tag == k_dns_name) out.dns.push_back(as_string(n->body));
    else if (n->tag == k_ip_address) out.ips.emplace_back(n->body.begin(), n->body.end());
  }
  return true;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// As libpq: a name with an embedded NUL never matches (it could hide "good.com\0.evil.com"); a
// leading "*." matches exactly one non-empty label.
bool name_matches(std::string_view name, std::string_view host) {
  if (name.find('\0') != std::string_view::npos) return false;
  if (equal_ignoring_case(name, host)) return true;
  if (name.size() < 3 || name[0] != '*' || name[1] != '.') return false;
  const std::string_view suffix = name.substr(1);  // ".example.com"
  if (host.size() <= suffix.size()) return false;
  const std::size_t cut = host.size() - suffix.size();
  return equal_ignoring_case(host.substr(cut), suffix) && host.substr(0, cut).find('.') == std::string_view::npos;
}

std::optional<std::vector<std::byte>> ip_bytes(std::string_view host) {
  const std::string h(host);
  unsigned char addr[16];
  if (inet_pton(AF_INET, h.c_str(), addr) == 1) return std::vector<std::byte>(reinterpret_cast<std::byte*>(addr), reinterpret_cast<std::byte*>(addr) + 4);
  if (inet_pton(AF_INET6, h.c_str(), addr) == 1) return std::vector<std::byte>(reinterpret_cast<std::byte*>(addr), reinterpret_cast<std::byte*>(addr) + 16);
  return std::nullopt;
}

std::string ip_text(const std::vector<std::byte>& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip.size() == 4) inet_ntop(AF_INET, ip.data(), buf, sizeof buf);
  else if (ip.size() == 16) inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
  else return "(an address of " + std::to_string(ip.size()) + " bytes)";
  return buf;
}

}  // namespace

Result<CertificateNames> certificate_names(std::span<const std::byte> certificate) {
  der::Reader top(certificate);
  auto cert = top.next(der::k_sequence);
  if (!cert) return malformed("Certificate");
  der::Reader parts(cert->body);
  auto tbs = parts.next(der::k_sequence);
  if (!tbs) return malformed("TBSCertificate");
  der::Reader r(tbs->body);
  if (r.peek_tag() == der::context(0) && !r.next()) return malformed("version");
  if (!r.next(der::k_integer)) return malformed("serialNumber");
  if (!r.next(der::k_sequence)) return malformed("signature");
  if (!r.next(der::k_sequence)) return malformed("issuer");
  if (!r.next(der::k_sequence)) return malformed("validity");
  auto subject = r.next(der::k_sequence);
  if (!subject) return malformed("subject");
  if (!r.next(der::k_sequence)) return malformed("subjectPublicKeyInfo");
  CertificateNames names;
  if (!read_common_names(subject->body, names.common_names)) return malformed("subject name");
  while (!r.empty()) {
    auto field = r.next();
    if (!field) return malformed("optional fields");
    if (field->tag != der::context(3)) continue;  // issuer/subject unique IDs
    der::Reader wrap(field->body);
    auto list = wrap.next(der::k_sequence);
    if (!list) return malformed("extensions");
    der::Reader extensions(list->body);
    while (!extensions.empty()) {
      auto ext = extensions.next(der::k_sequence);
      if (!ext) return malformed("extension");
      der::Reader e(ext->body);
      auto id = e.next(der::k_oid);
      if (!id) return malformed("extension id");
      if (e.peek_tag() == k_boolean && !e.next()) return malformed("extension criticality");
      auto value = e.next(k_octet_string);
      if (!value) return malformed("extension value");
      if (same_oid(id->body, k_oid_subject_alt_name) && !read_alt_names(value->body, names))
        return malformed("subjectAltName");
    }
  }
  return names;
}

bool certificate_matches_host(const CertificateNames& names, std::string_view host) {
  if (host.empty()) return false;
  for (const auto& n : names.dns)
    if (name_matches(n, host)) return true;
  if (auto ip = ip_bytes(host)) {
    for (const auto& a : names.ips)
      if (a == *ip) return true;
  }
  if (!names.dns.empty() || !names.ips.empty()) return false;
  return std::any_of(names.common_names.begin(), names.common_names.end(),
                     [&](const std::string& cn) { return name_matches(cn, host); });
}

// A name from the certificate, safe on one line of a message (a hostile one may hold anything).
std::string printable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 128)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out;
}

std::string describe_names(const CertificateNames& names) {
  std::vector<std::string> all;
  for (const auto& n : names.dns) all.push_back(printable(n));
  for (const auto& a : names.ips) all.push_back(ip_text(a));
  if (all.empty())
    for (const auto& n : names.common_names) all.push_back(printable(n));
  if (all.empty()) return "the certificate names no host";
  std::string out = "the certificate is for \"" + all.front() + "\"";
  if (all.size() > 1)
    out += " (and " + std::to_string(all.size() - 1) + " other name" + (all.size() > 2 ? "s" : "") + ")";
  return out;
}

}  // namespace pgstream::tls
