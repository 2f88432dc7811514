// Write concern on testmongod's one-node replica set: w: 1 / "majority" / j / wtimeout are
// satisfied as soon as the command has run; what one node cannot satisfy is reported as mongod
// reports it.
#pragma once

#include <bson/bson.h>

#include "server/command.h"

namespace tmd {

// Before the command runs: a write concern no deployment of this shape accepts (w > 1 on a
// standalone) fails the command, as mongod's validateWriteConcern.
void check_write_concern(const CommandRequest& request);

// After a write command succeeded: appends the writeConcernError mongod's waitForWriteConcern
// gives on one node (w > 1: 100 UnsatisfiableWriteConcern; an unknown tag: 79
// UnknownReplWriteConcern); nothing when the write concern is satisfied.
void append_write_concern_error(const CommandRequest& request, bson_t* reply);

}  // namespace tmd
