// End to end through `tributary sync`: documents the source holds although its validator would
// reject them (inserted before the validator, or written with bypassDocumentValidation, or left
// invalid under validationLevel moderate) are copied and replicated: the destination, which
// gets the same validator, must not refuse what the source accepted.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class ValidatorSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        ReplicateSyncTest::TearDown();
    }
    void documents_outside_the_validator_are_synced(const std::string& source_profile) {
        start_servers(source_profile);
        source_command(R"({"insert": "strict", "documents": [{"_id": 1, "age": "old"}]})");
        source_command(R"({"insert": "moderate", "documents": [{"_id": 1, "age": "old"}]})");
        const std::string validator = R"("validator": {"age": {"$type": "int"}})";
        source_command(R"({"collMod": "strict", )" + validator + "}");
        source_command(R"({"collMod": "moderate", "validationLevel": "moderate", )" + validator +
                       "}");
        sync_ = start_sync();
        // Replicated: an insert that bypassed validation, an update of a document the
        // moderate level leaves unchecked.
        source_command(R"({"insert": "strict", "documents": [{"_id": 2, "age": "new"}],
            "bypassDocumentValidation": true})");
        source_command(R"({"update": "moderate", "updates": [
            {"q": {"_id": 1}, "u": {"$set": {"note": "still invalid"}}}]})");
        source_command(R"({"insert": "strict", "documents": [{"_id": 3, "age": 3}]})");
        std::string report;
        EXPECT_TRUE(converges(&report)) << report << sync_->output();
        EXPECT_FALSE(sync_->exit_code()) << sync_->output();
    }

    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(ValidatorSyncTest, DocumentsOutsideTheValidatorAreSyncedFrom44) {
    documents_outside_the_validator_are_synced("4.4");
}

TEST_F(ValidatorSyncTest, DocumentsOutsideTheValidatorAreSyncedFrom70) {
    documents_outside_the_validator_are_synced("7.0");
}

}  // namespace
