#include "host/sd_daemon.h"

#include <dlfcn.h>
#include <sys/socket.h>

#include <cstdlib>
#include <mutex>

#include "base/log.h"

namespace tokend::sd {
namespace {

struct Api {
  int (*notify)(int, const char*);
  int (*listen_fds)(int);
  int (*is_socket_unix)(int, int, int, const char*, size_t);
  int (*watchdog_enabled)(int, uint64_t*);
};

bool FromSystemd() {
  for (const char* name : {"NOTIFY_SOCKET", "LISTEN_FDS", "WATCHDOG_USEC"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}

const Api* Load() {
  static Api api;
  static const Api* loaded = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    if (!FromSystemd()) return;
    void* lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
      LogError(std::string("systemd passed a notify socket or sockets, but libsystemd.so.0 "
                           "cannot be loaded: ") +
               dlerror());
      return;
    }
    api.notify = reinterpret_cast<decltype(api.notify)>(dlsym(lib, "sd_notify"));
    api.listen_fds = reinterpret_cast<decltype(api.listen_fds)>(dlsym(lib, "sd_listen_fds"));
    api.is_socket_unix =
        reinterpret_cast<decltype(api.is_socket_unix)>(dlsym(lib, "sd_is_socket_unix"));
    api.watchdog_enabled =
        reinterpret_cast<decltype(api.watchdog_enabled)>(dlsym(lib, "sd_watchdog_enabled"));
    if (api.notify && api.listen_fds && api.is_socket_unix && api.watchdog_enabled) {
      loaded = &api;
    } else {
      LogError("libsystemd.so.0 lacks the sd-daemon functions");
    }
  });
  return loaded;
}

}  // namespace

int Notify(const char* state) {
  const Api* api = Load();
  return api ? api->notify(0, state) : 0;
}

int ListenFds() {
  const Api* api = Load();
  return api ? api->listen_fds(1) : 0;
}

int IsListeningUnixStream(int fd) {
  const Api* api = Load();
  return api ? api->is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) : 0;
}

int WatchdogEnabled(uint64_t* usec) {
  const Api* api = Load();
  return api ? api->watchdog_enabled(0, usec) : 0;
}

}  // namespace tokend::sd
