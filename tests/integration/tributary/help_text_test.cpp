// `tributary <command> --help` names each option's value type and default rather than
// CLI11's "TEXT ..." for every option.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tributary_process.h"

namespace {

using tributary_test::TributaryProcess;

// The help of `command` shows every one of `parts` and no "TEXT".
void expect_help_shows(const std::string& command, const std::vector<std::string>& parts) {
    std::string text;
    EXPECT_EQ(TributaryProcess::run({command, "--help"}, &text), 0) << text;
    EXPECT_EQ(text.find("TEXT"), std::string::npos) << text;
    for (const std::string& part : parts)
        EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
}

TEST(HelpText, SyncOptionsShowTypeAndDefault) {
    expect_help_shows("sync", {"--copy-workers N ", "(default 4)", "--source URI ", "--db NAME ...",
                               "--state-file PATH ", "--config FILE "});
}

TEST(HelpText, VerifyOptionsShowTypeAndDefault) {
    expect_help_shows("verify",
                      {"--settle-timeout SECONDS ", "(default 30", "--max-differences N "});
}

}  // namespace
