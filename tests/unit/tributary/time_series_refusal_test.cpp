// A sync refuses time-series collections before copying anything: the catalog listing's
// "timeseries" entries end the run with exit 2 and a message naming the collection and --exclude.
#include <gtest/gtest.h>

#include "cli/exit_codes.h"
#include "cli/session.h"

namespace {

using tributary::catalog::CollectionInfo;

CollectionInfo entry(const std::string& name, const std::string& type) {
    CollectionInfo info;
    info.db = "shop";
    info.name = name;
    info.type = type;
    return info;
}

TEST(TimeSeriesRefusal, ACatalogWithoutTimeSeriesIsAccepted) {
    std::vector<CollectionInfo> listing;
    listing.push_back(entry("orders", "collection"));
    listing.push_back(entry("recent", "view"));
    EXPECT_NO_THROW(tributary::refuse_time_series(listing));
}

TEST(TimeSeriesRefusal, ATimeSeriesCollectionIsRefusedWithExitTwoNamingItAndExclude) {
    std::vector<CollectionInfo> listing;
    listing.push_back(entry("orders", "collection"));
    listing.push_back(entry("weather", "timeseries"));
    try {
        tributary::refuse_time_series(listing);
        FAIL() << "a time-series collection was accepted";
    } catch (const tributary::UserError& error) {
        EXPECT_EQ(error.code(), tributary::kExitUsage);
        const std::string message = error.what();
        EXPECT_NE(message.find("'shop.weather'"), std::string::npos) << message;
        EXPECT_NE(message.find("--exclude shop.weather"), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

}  // namespace
