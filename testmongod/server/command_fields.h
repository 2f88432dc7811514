// The fields each command declares, checked before it runs, as mongod's IDL parsers reject
// unknown top-level fields (src/mongo/idl/generic_argument.idl lists the arguments every command
// accepts besides its own).
#pragma once

#include <string>

#include "server/command.h"

namespace tmd {

// Whether a field is one of the generic arguments every command accepts ($db, lsid, txnNumber,
// readConcern, writeConcern, maxTimeMS, comment, apiVersion, ...).
bool is_generic_argument(const std::string& field);

// Throws mongod's error for the first field the command does not declare: 40415 `BSON field
// '<command>.<field>' is an unknown field.` on 6.0/7.0; on 4.4 the error of that release's parser
// for the commands that had one, nothing for those that ignored unknown fields. Commands without
// a declared list are not checked.
void check_command_fields(const CommandRequest& request);

}  // namespace tmd
