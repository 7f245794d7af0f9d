// Signals are blocked in main() before any thread exists (Poco's threads
// would otherwise let SIGHUP or SIGUSR1 kill the process) and are then read
// in one place, the daemon's loop, through a signalfd.
#pragma once

namespace tokend {

/// Blocks TERM, INT, HUP and USR1 for this thread and every thread it later
/// creates, and ignores PIPE (a reader hanging up must not kill us) and XFSZ
/// (a file-size limit must show up as EFBIG, not as death). Call first in main.
void BlockDaemonSignals();

/// A non-blocking signalfd for the blocked signals, or -errno.
int OpenSignalFd();

/// Reads one pending signal number from `fd`, or 0 when none is pending.
int ReadSignal(int fd);

}  // namespace tokend
