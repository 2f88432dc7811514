// `tributary <command> --help` names each option's value type and default rather than
// CLI11's "TEXT ..." for every option.
#include <gtest/gtest.h>

#include <string>

#include "tributary_process.h"

namespace {

using tributary_test::TributaryProcess;

std::string help(const std::string& command) {
    std::string output;
    EXPECT_EQ(TributaryProcess::run({command, "--help"}, &output), 0) << output;
    return output;
}

TEST(HelpText, SyncOptionsShowTypeAndDefault) {
    const std::string text = help("sync");
    EXPECT_EQ(text.find("TEXT"), std::string::npos) << text;
    EXPECT_NE(text.find("--copy-workers N "), std::string::npos) << text;
    EXPECT_NE(text.find("(default 4)"), std::string::npos) << text;
    EXPECT_NE(text.find("--source URI "), std::string::npos) << text;
    EXPECT_NE(text.find("--db NAME ..."), std::string::npos) << text;
    EXPECT_NE(text.find("--state-file PATH "), std::string::npos) << text;
    EXPECT_NE(text.find("--config FILE "), std::string::npos) << text;
}

TEST(HelpText, VerifyOptionsShowTypeAndDefault) {
    const std::string text = help("verify");
    EXPECT_EQ(text.find("TEXT"), std::string::npos) << text;
    EXPECT_NE(text.find("--settle-timeout SECONDS "), std::string::npos) << text;
    EXPECT_NE(text.find("(default 30"), std::string::npos) << text;
    EXPECT_NE(text.find("--max-differences N "), std::string::npos) << text;
}

}  // namespace
