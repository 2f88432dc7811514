// The subcommands behind `tributary sync|finalize|verify|status`. Each returns an ExitCode and
// throws UserError for failures the user can fix (main prints the message).
#pragma once

#include "cli/config.h"

namespace tributary {

// Initial copy (unless complete), then replication until SIGINT/SIGTERM.
int run_sync(const Config& config);
// Cutover: the running sync (asked through the checkpoint store), or this process when none
// answers, applies the source's changes up to its present time; then the neutralized indexes are
// restored, the destination verified and recorded as finalized. Prints a one-line summary;
// kExitOk when verify finds it equal, kExitVerifyDiffers otherwise.
int run_finalize(const Config& config);
// Prints the comparison table; kExitOk when equal, kExitVerifyDiffers otherwise.
int run_verify(const Config& config);
// Prints the checkpoint: run, arguments, start point, per-collection copy state, resume point.
int run_status(const Config& config);

}  // namespace tributary
