// tributary's process exit codes (documented in docs/usage.md) and the exception that carries a
// user-caused failure up to main(), which prints its one-line message and exits with its code.
#pragma once

#include <stdexcept>
#include <string>

namespace tributary {

enum ExitCode : int {
    kExitOk = 0,             // done, or stopped cleanly by SIGINT/SIGTERM
    kExitInternal = 1,       // a bug or an unexpected failure
    kExitUsage = 2,          // bad flag, config file, environment value or conflicting options
    kExitConnect = 3,        // cannot connect to or authenticate with a deployment
    kExitHistoryLost = 4,    // the source no longer holds the change history to resume from
    kExitWriteFailure = 5,   // the destination rejected writes / data error
    kExitVerifyDiffers = 6,  // `tributary verify` found differences
    kExitSpoolFull = 7,      // the events followed during the copy exceed --spool-max-mb
};

// A failure the user can fix: `what()` says what is wrong and what to do, in one line.
class UserError : public std::runtime_error {
  public:
    UserError(ExitCode code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    ExitCode code() const { return code_; }

  private:
    ExitCode code_;
};

}  // namespace tributary
