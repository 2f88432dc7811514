// A corrupt or foreign --state-file is a usage error (exit 2) naming the file and what to do,
// not an internal error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/server_process.h"
#include "tributary_process.h"

namespace {

using tributary_test::TributaryProcess;

class StateFileErrorTest : public testing::Test {
  protected:
    void TearDown() override { std::filesystem::remove(path_); }

    void write(const std::string& text) { std::ofstream(path_) << text; }

    void expect_usage_error() {
        std::string output;
        EXPECT_EQ(TributaryProcess::run({"status", "--state-file", path_}, &output), 2) << output;
        EXPECT_NE(output.find("'" + path_ + "'"), std::string::npos) << output;
        EXPECT_NE(output.find("delete or move it"), std::string::npos) << output;
        EXPECT_EQ(output.find("internal error"), std::string::npos) << output;
    }

    std::string path_ = (std::filesystem::temp_directory_path() /
                         (testsupport::unique_name("statefile") + ".state"))
                            .string();
};

TEST_F(StateFileErrorTest, CorruptFileIsAUsageError) {
    write("not a checkpoint {");
    expect_usage_error();
}

TEST_F(StateFileErrorTest, ForeignFileIsAUsageError) {
    write(R"({"hello": "world"})");
    expect_usage_error();
}

}  // namespace
