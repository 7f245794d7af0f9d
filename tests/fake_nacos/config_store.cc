#include "config_store.h"

#include <algorithm>

#include "md5.h"

namespace fake_nacos {

void ConfigStore::Publish(const ConfigKey& key, std::string content, std::string type,
                          int64_t now_ms) {
  StoredConfig config;
  config.md5 = Md5Hex(content);
  config.content = std::move(content);
  if (!type.empty()) config.type = std::move(type);
  config.last_modified_ms = now_ms;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    configs_[key] = std::move(config);
  }
  changed_.notify_all();
}

bool ConfigStore::Remove(const ConfigKey& key) {
  bool removed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    removed = configs_.erase(key) > 0;
  }
  if (removed) changed_.notify_all();
  return removed;
}

std::optional<StoredConfig> ConfigStore::Get(const ConfigKey& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = configs_.find(key);
  if (found == configs_.end()) return std::nullopt;
  return found->second;
}

std::string ConfigStore::Md5(const ConfigKey& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = configs_.find(key);
  return found == configs_.end() ? std::string() : found->second.md5;
}

size_t ConfigStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return configs_.size();
}

std::vector<ConfigKey> ConfigStore::ChangedLocked(
    const std::map<ConfigKey, std::string>& listened) const {
  std::vector<ConfigKey> changed;
  for (const auto& [key, client_md5] : listened) {
    const auto found = configs_.find(key);
    const std::string server_md5 = found == configs_.end() ? std::string() : found->second.md5;
    if (server_md5 != client_md5) changed.push_back(key);
  }
  return changed;
}

std::vector<ConfigKey> ConfigStore::WaitForChange(const std::map<ConfigKey, std::string>& listened,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  const std::atomic<bool>& abort) const {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    std::vector<ConfigKey> changed = ChangedLocked(listened);
    const auto now = std::chrono::steady_clock::now();
    if (!changed.empty() || now >= deadline || abort.load()) return changed;
    changed_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(200)));
  }
}

}  // namespace fake_nacos
