// --dbpath's users file (DIR/users): the users as mongod keeps them in admin.system.users, one
// BSON document per user, rewritten whole and durably at every change.
#pragma once

#include <string>
#include <vector>

#include "server/auth.h"

namespace tmd {

// The users kept in `path`; none when there is no such file. InternalError when it is corrupt.
std::vector<UserRecord> read_users_file(const std::string& path);
// Replaces `path` with `users`: a temporary file, fsync, rename, fsync of the directory, so a
// crash at any point leaves either the old users or the new ones.
void write_users_file(const std::string& path, const std::vector<UserRecord>& users);

}  // namespace tmd
