// Publishing a bound port to the test that started the fake.
#ifndef TESTS_FAKE_NACOS_PORT_FILE_H_
#define TESTS_FAKE_NACOS_PORT_FILE_H_

#include <cstdint>
#include <string>

namespace fake_nacos {

// Writes "<port>\n" to a temporary file next to `path`, then renames it over `path`, so a
// reader never sees a partial number. No-op for an empty path. Throws std::runtime_error.
void WritePortFile(const std::string& path, uint16_t port);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_PORT_FILE_H_
