// In-memory config store of the fake: what Nacos keeps per (tenant, group, dataId).
#ifndef TESTS_FAKE_NACOS_CONFIG_STORE_H_
#define TESTS_FAKE_NACOS_CONFIG_STORE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace fake_nacos {

inline constexpr char kDefaultGroup[] = "DEFAULT_GROUP";
// PropertyUtil.maxContent: 10 MiB per config (next-features.md §1.2).
inline constexpr size_t kMaxConfigContentBytes = 10 * 1024 * 1024;

struct ConfigKey {
  std::string data_id;
  std::string group = kDefaultGroup;
  std::string tenant;  // "" = the public namespace.

  auto operator<=>(const ConfigKey&) const = default;
};

struct StoredConfig {
  std::string content;
  std::string md5;
  std::string type = "text";
  int64_t last_modified_ms = 0;
};

// Thread-safe. Every publish or delete bumps a version and wakes waiting listeners.
class ConfigStore {
 public:
  // Stores (or replaces) a config; `now_ms` becomes its last-modified time.
  void Publish(const ConfigKey& key, std::string content, std::string type, int64_t now_ms);
  // True if something was removed (Nacos answers true either way).
  bool Remove(const ConfigKey& key);
  std::optional<StoredConfig> Get(const ConfigKey& key) const;
  // The server-side MD5 a listener compares with: "" for a missing config (Constants.NULL).
  std::string Md5(const ConfigKey& key) const;

  // Listener support: the keys among `listened` whose MD5 differs from the one the client
  // sent, waiting until one differs, `deadline` passes or `abort` becomes true (checked at
  // least every 200 ms). An empty result means none changed.
  std::vector<ConfigKey> WaitForChange(const std::map<ConfigKey, std::string>& listened,
                                       std::chrono::steady_clock::time_point deadline,
                                       const std::atomic<bool>& abort) const;

  size_t size() const;

 private:
  std::vector<ConfigKey> ChangedLocked(const std::map<ConfigKey, std::string>& listened) const;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<ConfigKey, StoredConfig> configs_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CONFIG_STORE_H_
