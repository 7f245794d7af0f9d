// Permission failures for tests: rules that deny a user access to configs.
#ifndef TESTS_FAKE_NACOS_PERMISSION_RULES_H_
#define TESTS_FAKE_NACOS_PERMISSION_RULES_H_

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_store.h"

namespace fake_nacos {

// Real Nacos grants permissions per role and resource (namespace:group:config/dataId); the fake
// inverts that for tests: everything is allowed except what a rule denies. "*" matches anything
// (also the empty public namespace).
struct PermissionRule {
  std::string user = "*";
  std::string tenant = "*";
  std::string group = "*";
  std::string data_id = "*";
  bool read = true;   // Denies reads (GET, listener, v3 get).
  bool write = true;  // Denies publish and delete.
};

// Parses "r", "w" or "rw" into the rule's read/write flags.
bool SetRuleAction(PermissionRule* rule, std::string_view action);

// Thread-safe.
class PermissionRules {
 public:
  void Add(PermissionRule rule);
  void Clear();
  // `key` is nullopt for a request not tied to one config (listener): only rules whose
  // tenant/group/dataId are all "*" apply.
  bool Denies(const std::string& user, const std::optional<ConfigKey>& key, bool write) const;

 private:
  mutable std::mutex mutex_;
  std::vector<PermissionRule> rules_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_PERMISSION_RULES_H_
