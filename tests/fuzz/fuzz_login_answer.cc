// libFuzzer entry for tokend::fuzz::LoginAnswer (see fuzz_targets.h).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tokend::fuzz::LoginAnswer(data, size);
  return 0;
}
