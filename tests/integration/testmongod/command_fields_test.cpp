// Integration tests of the declared-field rule applied to every command: mongod 7.0's IDL parsers
// reject unknown top-level fields with 40415 (mongod: src/mongo/idl/idl_parser.cpp, "BSON field
// '<cmd>.<field>' is an unknown field.") and accept the generic arguments of
// src/mongo/idl/generic_argument.idl; 4.4's parsers differed per command.
#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class CommandFieldsTest : public StorageTest {};

TEST_F(CommandFieldsTest, UnknownTopLevelFieldsAreRejectedAsIdlDoes) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}]})");
    for (const char* command :
         {R"({"find": "c", "bogus": 1})",
          R"({"aggregate": "c", "pipeline": [], "cursor": {}, "bogus": 1})",
          R"({"insert": "c", "documents": [{"_id": 2}], "bogus": 1})",
          R"({"count": "c", "bogus": 1})", R"({"distinct": "c", "key": "a", "bogus": 1})",
          R"({"create": "d", "bogus": 1})", R"({"listIndexes": "c", "bogus": 1})",
          R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}], "bogus": 1})"}) {
        CommandResult result = run(command);
        EXPECT_EQ(result.code, 40415) << command << " -> " << result.reply.json();
        EXPECT_NE(result.error.find(".bogus' is an unknown field."), std::string::npos)
            << result.error;
    }
}

// write_ops.idl: UpdateOpEntry and DeleteOpEntry are strict, so an unknown statement field fails
// the command; a statement `sort` is 8.0+ (manual, "update": "sort", New in version 8.0; crud spec
// "updateOne with sort option unsupported (server-side error)" for servers before 8.0).
TEST_F(CommandFieldsTest, UnknownStatementFieldsFailTheWholeCommand) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2}]})");
    CommandResult update = run(
        R"({"update": "c", "updates": [{"q": {}, "u": {"$set": {"a": 1}}, "sort": {"_id": -1}}]})");
    EXPECT_EQ(update.code, 40415) << update.reply.json();
    EXPECT_NE(update.error.find("'update.updates.sort' is an unknown field."), std::string::npos)
        << update.error;
    CommandResult remove =
        run(R"({"delete": "c", "deletes": [{"q": {}, "limit": 1, "bogus": 1}]})");
    EXPECT_EQ(remove.code, 40415) << remove.reply.json();
    EXPECT_EQ(find("c", R"({"a": 1})").size(), 0u);
    EXPECT_EQ(find("c").size(), 2u);
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 1}}, "multi": false,
           "upsert": false, "collation": {"locale": "simple"}, "hint": {"_id": 1}}]})");
}

TEST_F(CommandFieldsTest, GenericArgumentsAreAcceptedByEveryCommand) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}], "writeConcern": {"w": 1}, "comment": "x",
           "maxTimeMS": 1000})");
    ok(R"({"find": "c", "readConcern": {"level": "local"}, "comment": {"why": "test"},
           "maxTimeMS": 1000, "apiVersion": "1"})");
    ok(R"({"count": "c", "readConcern": {"level": "local"}, "comment": "x"})");
    ok(R"({"listCollections": 1, "comment": "x", "maxTimeMS": 1000})");
}

// mongorestore creates each collection with the idIndex of its dump (manual, create command).
TEST_F(CommandFieldsTest, CreateAcceptsMongorestoresIdIndex) {
    ok(R"({"create": "restored", "idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"}})");
    auto specs = first_batch(ok(R"({"listIndexes": "restored"})"));
    ASSERT_EQ(specs.size(), 1u);
    EXPECT_EQ(specs[0].string("name"), "_id_");
}

// mongod r4.4: find used QueryRequest::parseFromFindCommand (FailedToParse), aggregate
// AggregationRequest::parseFromBSON (FailedToParse), create CollectionOptions::parse
// (InvalidOptions); the write commands were IDL (40415); count ignored unknown fields.
TEST(CommandFieldsProfileTest, Profile44RejectsUnknownFieldsAsEachParserOf44Did) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "profiles are testmongod's";
    auto server = testsupport::ServerProcess::start({"--version-profile", "4.4"});
    testsupport::Client client(server.uri());
    auto code_of = [&](const char* command) { return client.run_command("fields", command).code; };
    ASSERT_TRUE(client.run_command("fields", R"({"insert": "c", "documents": [{"_id": 1}]})").ok);
    EXPECT_EQ(code_of(R"({"find": "c", "bogus": 1})"), 9);
    EXPECT_EQ(code_of(R"({"aggregate": "c", "pipeline": [], "cursor": {}, "bogus": 1})"), 9);
    EXPECT_EQ(code_of(R"({"create": "d", "bogus": 1})"), 72);
    EXPECT_EQ(code_of(R"({"create": "d", "changeStreamPreAndPostImages": {"enabled": true}})"), 72);
    EXPECT_EQ(code_of(R"({"create": "d", "clusteredIndex": {"key": {"_id": 1}, "unique": true}})"),
              72);
    EXPECT_EQ(code_of(R"({"insert": "c", "documents": [{"_id": 2}], "bogus": 1})"), 40415);
    EXPECT_TRUE(client.run_command("fields", R"({"count": "c", "bogus": 1})").ok);
    // Manual, "let" of find/aggregate/update/delete: new in 5.0.
    EXPECT_EQ(code_of(R"({"find": "c", "let": {"x": 1}})"), 9);
    EXPECT_EQ(code_of(R"({"aggregate": "c", "pipeline": [], "cursor": {}, "let": {"x": 1}})"), 9);
    EXPECT_EQ(code_of(R"({"update": "c", "updates": [{"q": {}, "u": {"a": 1}}], "let": {"x": 1}})"),
              40415);
}

}  // namespace
}  // namespace storagetest
