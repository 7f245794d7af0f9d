// libFuzzer entry for tokend::fuzz::ProxyAnswer (see fuzz_targets.h).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tokend::fuzz::ProxyAnswer(data, size);
  return 0;
}
