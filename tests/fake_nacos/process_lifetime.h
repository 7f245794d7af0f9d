// Makes sure the fake never outlives its test: signals, parent death and a lifetime cap.
#ifndef TESTS_FAKE_NACOS_PROCESS_LIFETIME_H_
#define TESTS_FAKE_NACOS_PROCESS_LIFETIME_H_

#include <cstdint>
#include <string>

namespace fake_nacos {

// Call before any thread starts: blocks SIGTERM/SIGINT/SIGHUP in every thread (they are taken
// with sigtimedwait), ignores SIGPIPE and asks for SIGTERM when the parent dies
// (PR_SET_PDEATHSIG; note it fires when the forking *thread* exits). Returns false if the
// parent is already gone.
bool PrepareProcessSignals();

// Blocks until a termination signal arrives or `max_lifetime_seconds` have passed; returns a
// description of the reason.
std::string WaitForShutdown(int64_t max_lifetime_seconds);

// Exits the process hard if a clean shutdown has not finished within `seconds`.
void ArmShutdownWatchdog(int seconds);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_PROCESS_LIFETIME_H_
