// libsystemd's sd-daemon(3) functions, loaded on first use and only when
// systemd handed the process something (NOTIFY_SOCKET, LISTEN_FDS,
// WATCHDOG_USEC). Outside systemd these calls are no-ops, exactly as
// libsystemd's own are without those variables, and the library (with the
// compression and crypto libraries it pulls in, ~0.7 MiB) is never mapped.
// Thread-safe.
#pragma once

#include <cstdint>

namespace tokend::sd {

/// sd_notify(0, state); 0 when there is nothing to notify.
int Notify(const char* state);
/// sd_listen_fds(1): the number of sockets passed (from fd 3), 0 if none.
int ListenFds();
/// sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0).
int IsListeningUnixStream(int fd);
/// sd_watchdog_enabled(0, usec).
int WatchdogEnabled(uint64_t* usec);

}  // namespace tokend::sd
