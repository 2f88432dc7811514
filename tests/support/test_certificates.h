// Test support: certificates made at test time with the OpenSSL API — a certificate authority
// and server certificates it signs (for host names and IP addresses, current or expired), written
// as PEM files into a directory of the test's own.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace testsupport {

struct CertificateSpec {
    std::string common_name;
    std::vector<std::string> dns_names;     // subjectAltName DNS entries
    std::vector<std::string> ip_addresses;  // subjectAltName IP entries
    bool expired = false;                   // valid until yesterday instead of for a day
};

class TestCertificateAuthority {
  public:
    // A new CA key and self-signed certificate, written to <directory>/<name>-ca.pem.
    TestCertificateAuthority(std::string directory, std::string name);
    ~TestCertificateAuthority();
    TestCertificateAuthority(const TestCertificateAuthority&) = delete;
    TestCertificateAuthority& operator=(const TestCertificateAuthority&) = delete;

    const std::string& ca_file() const { return ca_file_; }
    // Issues a certificate signed by this CA; returns the path of one PEM file holding the
    // certificate and its private key (what --tls-cert and tlsCertificateKeyFile take).
    std::string issue(const std::string& file_stem, const CertificateSpec& spec);
    // A certificate for this machine's loopback names: localhost, 127.0.0.1 (current).
    std::string issue_for_loopback(const std::string& file_stem);

  private:
    struct Keys;
    std::string directory_;
    std::string ca_file_;
    std::unique_ptr<Keys> keys_;
};

// A fresh directory under the system's temporary directory, removed with everything in it
// when this goes away.
class TemporaryDirectory {
  public:
    TemporaryDirectory();
    ~TemporaryDirectory();
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace testsupport
