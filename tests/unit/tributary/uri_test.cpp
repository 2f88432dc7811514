// Password redaction of connection strings and the host list used to detect that source and
// destination are the same deployment.
#include <gtest/gtest.h>

#include "mongo/client.h"

namespace tributary::mongo {
namespace {

TEST(Redaction, ReplacesThePasswordOnly) {
    EXPECT_EQ(redact_uri("mongodb://alice:s3cret@db1:27017,db2/app?replicaSet=rs0"),
              "mongodb://alice:***@db1:27017,db2/app?replicaSet=rs0");
    EXPECT_EQ(redact_uri("mongodb+srv://bob:p%40ss:word@cluster.example.net/"),
              "mongodb+srv://bob:***@cluster.example.net/");
}

// RFC 3986 wants '/', '?', '#' and '@' percent-encoded in a password; typed raw they must not
// cut the redaction short (the text after them is still the password).
TEST(Redaction, HidesAPasswordWithUnencodedDelimiters) {
    EXPECT_EQ(redact_uri("mongodb://alice:pa/ss?w#r@d@db1:27017/?replicaSet=rs0"),
              "mongodb://alice:***@db1:27017/?replicaSet=rs0");
}

TEST(Redaction, LeavesUrisWithoutPasswordAlone) {
    EXPECT_EQ(redact_uri("mongodb://localhost:27017"), "mongodb://localhost:27017");
    EXPECT_EQ(redact_uri("mongodb://user@host/"), "mongodb://user@host/");
}

TEST(Redaction, InvalidUriMessageHidesThePassword) {
    Instance instance;
    try {
        Uri uri("mongodb://alice:s3cret@host:notaport");
        FAIL();
    } catch (const std::invalid_argument& error) {
        EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos) << error.what();
    }
}

TEST(Uri, ListsHostsInOrder) {
    Instance instance;
    Uri uri("mongodb://u:p@a.example:1,b.example:2/?replicaSet=rs");
    EXPECT_EQ(uri.hosts(), "a.example:1,b.example:2");
    EXPECT_EQ(uri.redacted(), "mongodb://u:***@a.example:1,b.example:2/?replicaSet=rs");
}

}  // namespace
}  // namespace tributary::mongo
