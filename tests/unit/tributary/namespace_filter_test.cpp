// Which namespaces a run syncs: --db, --include/--exclude wildcards, and the namespaces never
// synced (system databases, system.* collections, tributary's state database).
#include <gtest/gtest.h>

#include "catalog/namespace_filter.h"

namespace tributary::catalog {
namespace {

TEST(Wildcard, StarMatchesAnyRunIncludingDots) {
    EXPECT_TRUE(wildcard_match("shop.*", "shop.orders"));
    EXPECT_TRUE(wildcard_match("*.logs_*", "app.logs_2024"));
    EXPECT_TRUE(wildcard_match("a*b*c", "a.x.b.y.c"));
    EXPECT_FALSE(wildcard_match("shop.*", "shopping.orders"));
    EXPECT_FALSE(wildcard_match("shop.orders", "shop.orders2"));
    EXPECT_TRUE(wildcard_match("*", ""));
}

TEST(NamespaceFilter, NeverSyncsSystemNamespacesOrTheStateDatabase) {
    NamespaceFilter filter({}, {}, {}, "__tributary");
    EXPECT_FALSE(filter.matches("admin", "users"));
    EXPECT_FALSE(filter.matches("config", "settings"));
    EXPECT_FALSE(filter.matches("local", "oplog.rs"));
    EXPECT_FALSE(filter.matches("__tributary", "checkpoints"));
    EXPECT_FALSE(filter.matches("shop", "system.views"));
    EXPECT_TRUE(filter.matches("shop", "orders"));
}

TEST(NamespaceFilter, DbListLimitsDatabases) {
    NamespaceFilter filter({"shop"}, {}, {}, "__tributary");
    EXPECT_TRUE(filter.matches("shop", "orders"));
    EXPECT_FALSE(filter.matches("crm", "contacts"));
    EXPECT_EQ(filter.single_database(), "shop");
}

TEST(NamespaceFilter, IncludeThenExclude) {
    NamespaceFilter filter({}, {"shop.*", "crm.contacts"}, {"shop.tmp_*"}, "__tributary");
    EXPECT_TRUE(filter.matches("shop", "orders"));
    EXPECT_TRUE(filter.matches("crm", "contacts"));
    EXPECT_FALSE(filter.matches("crm", "leads"));
    EXPECT_FALSE(filter.matches("shop", "tmp_1"));
    EXPECT_FALSE(filter.single_database().has_value());
}

TEST(NamespaceFilter, PatternWithoutDotMeansWholeDatabase) {
    NamespaceFilter filter({}, {}, {"logs"}, "__tributary");
    EXPECT_FALSE(filter.matches("logs", "anything"));
    EXPECT_TRUE(filter.matches("shop", "logs"));
}

TEST(NamespaceFilter, EmptyPatternIsRejected) {
    EXPECT_THROW(NamespaceFilter({}, {""}, {}, "__tributary"), std::invalid_argument);
}

}  // namespace
}  // namespace tributary::catalog
