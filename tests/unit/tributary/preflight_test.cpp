// The copy's preflight decision: estimated duration against the source's oplog window.
#include "copy/preflight.h"

#include <gtest/gtest.h>

namespace {

using tributary::copy::copy_seconds;
using tributary::copy::outlasts;

TEST(Preflight, CopySecondsFromTheMeasuredRate) {
    EXPECT_EQ(copy_seconds(300000, 1000.0), 300);
    EXPECT_EQ(copy_seconds(0, 1000.0), 0);
    EXPECT_FALSE(copy_seconds(300000, 0.0).has_value()) << "no rate measured yet";
}

TEST(Preflight, OutlastsOnlyWhenBothFiguresAreKnownAndTheCopyIsLonger) {
    EXPECT_TRUE(outlasts(300, 120));
    EXPECT_FALSE(outlasts(60, 120));
    EXPECT_FALSE(outlasts(120, 120));
    EXPECT_FALSE(outlasts(std::nullopt, 120));
    EXPECT_FALSE(outlasts(300, std::nullopt)) << "a window that cannot be read warns of nothing";
}

}  // namespace
