// Catalog commands: create, drop, listCollections, listDatabases, createIndexes, listIndexes,
// dropIndexes, renameCollection, dropDatabase, collMod, collStats, dbStats.
#include "server/command.h"

namespace tmd {

void register_catalog_commands(CommandRegistry& /*registry*/) {}

}  // namespace tmd
