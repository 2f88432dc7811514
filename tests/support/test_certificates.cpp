// Test support: a test-time certificate authority; see test_certificates.h.
#include "support/test_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "support/server_process.h"

namespace testsupport {
namespace {

constexpr long kOneDay = 24 * 60 * 60;

struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateDeleter {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Certificate = std::unique_ptr<X509, CertificateDeleter>;

void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test certificates: ") + what + " failed");
}

Key new_key() {
    Key key(EVP_EC_gen("P-256"));
    require(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    require(extension != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
}

std::string subject_alt_names(const CertificateSpec& spec) {
    std::string names;
    for (const auto& dns : spec.dns_names)
        names += (names.empty() ? "DNS:" : ",DNS:") + dns;
    for (const auto& ip : spec.ip_addresses)
        names += (names.empty() ? "IP:" : ",IP:") + ip;
    return names;
}

// An unsigned certificate for `key` named `common_name`, issued by `issuer` (null: by itself),
// valid for a day from an hour ago, or for a day until yesterday when expired.
Certificate new_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                            bool expired) {
    static long serial = 1;
    Certificate certificate(X509_new());
    X509* x = certificate.get();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    long start = expired ? -2 * kOneDay : -3600;
    X509_gmtime_adj(X509_getm_notBefore(x), start);
    X509_gmtime_adj(X509_getm_notAfter(x), start + kOneDay);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    return certificate;
}

void sign(X509* certificate, EVP_PKEY* issuer_key) {
    require(X509_sign(certificate, issuer_key, EVP_sha256()) > 0, "X509_sign");
}

void write_pem(const std::string& path, X509* certificate, EVP_PKEY* key) {
    FILE* file = std::fopen(path.c_str(), "w");
    require(file != nullptr, "opening a PEM file");
    bool ok = PEM_write_X509(file, certificate) == 1 &&
              (key == nullptr ||
               PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    std::fclose(file);
    require(ok, "writing a PEM file");
}

}  // namespace

struct TestCertificateAuthority::Keys {
    Key key;
    Certificate certificate;
};

TestCertificateAuthority::TestCertificateAuthority(std::string directory, std::string name)
    : directory_(std::move(directory)),
      ca_file_(directory_ + "/" + name + "-ca.pem"),
      keys_(std::make_unique<Keys>()) {
    keys_->key = new_key();
    keys_->certificate = new_certificate(keys_->key.get(), name + " test CA", nullptr, false);
    X509* ca = keys_->certificate.get();
    add_extension(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca, ca, NID_subject_key_identifier, "hash");
    sign(ca, keys_->key.get());
    write_pem(ca_file_, ca, nullptr);
}

TestCertificateAuthority::~TestCertificateAuthority() = default;

std::string TestCertificateAuthority::issue(const std::string& file_stem,
                                            const CertificateSpec& spec) {
    Key key = new_key();
    X509* ca = keys_->certificate.get();
    Certificate certificate = new_certificate(key.get(), spec.common_name, ca, spec.expired);
    add_extension(certificate.get(), ca, NID_basic_constraints, "CA:FALSE");
    add_extension(certificate.get(), ca, NID_ext_key_usage, "serverAuth,clientAuth");
    add_extension(certificate.get(), ca, NID_authority_key_identifier, "keyid");
    std::string names = subject_alt_names(spec);
    if (!names.empty()) add_extension(certificate.get(), ca, NID_subject_alt_name, names);
    sign(certificate.get(), keys_->key.get());
    std::string path = directory_ + "/" + file_stem + ".pem";
    write_pem(path, certificate.get(), key.get());
    return path;
}

std::string TestCertificateAuthority::issue_for_loopback(const std::string& file_stem) {
    return issue(file_stem, {"localhost", {"localhost"}, {"127.0.0.1"}, false});
}

TemporaryDirectory::TemporaryDirectory()
    : path_((std::filesystem::temp_directory_path() / unique_name("tmp")).string()) {
    std::filesystem::create_directories(path_);
}

TemporaryDirectory::~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace testsupport
