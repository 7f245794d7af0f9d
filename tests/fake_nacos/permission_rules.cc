#include "permission_rules.h"

namespace fake_nacos {
namespace {

bool Matches(const std::string& pattern, const std::string& value) {
  return pattern == "*" || pattern == value;
}

}  // namespace

bool SetRuleAction(PermissionRule* rule, std::string_view action) {
  if (action != "r" && action != "w" && action != "rw") return false;
  rule->read = action.find('r') != std::string_view::npos;
  rule->write = action.find('w') != std::string_view::npos;
  return true;
}

void PermissionRules::Add(PermissionRule rule) {
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.push_back(std::move(rule));
}

void PermissionRules::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.clear();
}

bool PermissionRules::Denies(const std::string& user, const std::optional<ConfigKey>& key,
                             bool write) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const PermissionRule& rule : rules_) {
    if (!Matches(rule.user, user) || !(write ? rule.write : rule.read)) continue;
    if (key) {
      if (Matches(rule.tenant, key->tenant) && Matches(rule.group, key->group) &&
          Matches(rule.data_id, key->data_id)) {
        return true;
      }
    } else if (rule.tenant == "*" && rule.group == "*" && rule.data_id == "*") {
      return true;
    }
  }
  return false;
}

}  // namespace fake_nacos
