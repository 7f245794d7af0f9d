#include "control_handler.h"

#include <optional>
#include <set>
#include <string>

#include <openssl/rand.h>

#include "fault.h"
#include "value_parsing.h"

namespace fake_nacos {
namespace {

HttpResponse Plain(int status, std::string body) {
  return HttpResponse::Text(status, "text/plain;charset=UTF-8", std::move(body));
}

}  // namespace

void ControlHandler::Handle(const HttpRequest& request, Connection& connection) {
  const std::string& path = request.path;
  const bool post = request.method == "POST";
  HttpResponse response;
  if (path == "/_fake/fault") {
    response = post ? SetFault(request) : Plain(405, "use POST");
  } else if (path == "/_fake/set") {
    response = post ? SetOptions(request) : Plain(405, "use POST");
  } else if (path == "/_fake/stats") {
    response = request.method == "GET" ? HttpResponse::Json(200, targets_.stats.ToJson())
                                       : Plain(405, "use GET");
  } else if (path == "/_fake/invalidate-tokens") {
    response = post ? InvalidateTokens() : Plain(405, "use POST");
  } else if (path == "/_fake/deny") {
    response = post ? AddDenyRule(request) : Plain(405, "use POST");
  } else if (path == "/_fake/allow-all") {
    if (post) targets_.permissions.Clear();
    response = post ? Plain(200, "ok") : Plain(405, "use POST");
  } else if (path == "/_fake/config-stats") {
    response = request.method == "GET" ? HttpResponse::Json(200, targets_.config_stats.ToJson())
                                       : Plain(405, "use GET");
  } else if (path == "/_fake/reset-stats") {
    if (post) {
      targets_.stats.Reset();
      targets_.config_stats.Reset();
    }
    response = post ? Plain(200, "ok") : Plain(405, "use POST");
  } else {
    response = Plain(404, "unknown control path");
  }
  connection.Respond(response);
}

HttpResponse ControlHandler::SetFault(const HttpRequest& request) {
  const std::optional<std::string> mode = request.Param("mode");
  const std::optional<Fault> fault = mode ? ParseFault(*mode) : std::nullopt;
  if (!fault) return Plain(400, "bad or missing mode");
  std::optional<int> count;
  if (const auto count_text = request.Param("count")) {
    const std::optional<int64_t> parsed = ParseInteger(*count_text);
    if (!parsed || *parsed < 1 || *parsed > 1000000) return Plain(400, "bad count");
    if (fault->mode == FaultMode::kDown) return Plain(400, "down takes no count");
    count = static_cast<int>(*parsed);
  }
  const bool was_down = targets_.fault_plan.Current().mode == FaultMode::kDown;
  targets_.fault_plan.Set(*fault, count);
  targets_.logger.Log("control: fault " + FaultName(*fault) +
                      (count ? " count=" + std::to_string(*count) : std::string()));
  if (fault->mode == FaultMode::kDown && !was_down) {
    targets_.main_server.SetListening(false);
  } else if (fault->mode != FaultMode::kDown && was_down &&
             !targets_.main_server.SetListening(true)) {
    return Plain(500, "could not rebind the main port");
  }
  return Plain(200, "ok");
}

HttpResponse ControlHandler::SetOptions(const HttpRequest& request) {
  static const std::set<std::string> kKnown = {
      "ttl",      "cache",        "ttl_mode",        "secret",
      "password", "clock_offset", "clock_offset_ms", "long_poll_min_ms"};
  for (const auto& [name, value] : request.Params()) {
    if (!kKnown.contains(name)) return Plain(400, "unknown parameter " + name);
  }
  // Validate everything before changing anything.
  std::optional<int64_t> ttl;
  std::optional<bool> cache;
  std::optional<TtlMode> ttl_mode;
  std::optional<std::string> key;
  std::optional<int64_t> clock_offset_ms;
  if (const auto text = request.Param("ttl")) {
    ttl = ParseInteger(*text);
    if (!ttl || *ttl < 0) return Plain(400, "bad ttl");
  }
  if (const auto text = request.Param("cache")) {
    cache = ParseFlag(*text);
    if (!cache) return Plain(400, "bad cache");
  }
  if (const auto text = request.Param("ttl_mode")) {
    ttl_mode = ParseTtlMode(*text);
    if (!ttl_mode) return Plain(400, "bad ttl_mode");
  }
  if (const auto text = request.Param("secret")) {
    key = ParseSecret(*text);
    if (!key) return Plain(400, "bad secret (base64 of at least 32 bytes)");
  }
  if (const auto text = request.Param("clock_offset")) {
    const auto seconds = ParseInteger(*text);
    if (!seconds) return Plain(400, "bad clock_offset");
    clock_offset_ms = *seconds * 1000;
  }
  if (const auto text = request.Param("clock_offset_ms")) {
    if (clock_offset_ms) return Plain(400, "clock_offset and clock_offset_ms together");
    clock_offset_ms = ParseInteger(*text);
    if (!clock_offset_ms) return Plain(400, "bad clock_offset_ms");
  }
  std::optional<int64_t> long_poll_min_ms;
  if (const auto text = request.Param("long_poll_min_ms")) {
    long_poll_min_ms = ParseInteger(*text);
    if (!long_poll_min_ms || *long_poll_min_ms < 0) return Plain(400, "bad long_poll_min_ms");
  }
  if (long_poll_min_ms) targets_.config_settings.long_poll_min_ms = *long_poll_min_ms;
  if (ttl) targets_.tokens.SetTtl(*ttl);
  if (cache) targets_.tokens.SetCache(*cache);
  if (ttl_mode) targets_.tokens.SetTtlMode(*ttl_mode);
  if (key) targets_.tokens.SetKey(*key);
  if (clock_offset_ms) targets_.clock.set_offset_millis(*clock_offset_ms);
  if (const auto password = request.Param("password")) {
    targets_.credentials.SetPassword(*password);
  }
  std::string names;
  for (const auto& [name, value] : request.Params()) names += " " + name;
  targets_.logger.Log("control: set" + names);
  return Plain(200, "ok");
}

HttpResponse ControlHandler::InvalidateTokens() {
  // Like Nacos restarted with a new secret key: every token issued so far stops verifying.
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) return Plain(500, "no randomness");
  targets_.tokens.SetKey(std::string(reinterpret_cast<const char*>(key), sizeof(key)));
  targets_.logger.Log("control: every issued token invalidated (new secret key)");
  return Plain(200, "ok");
}

HttpResponse ControlHandler::AddDenyRule(const HttpRequest& request) {
  static const std::set<std::string> kKnown = {"user", "tenant", "group", "data_id", "action"};
  for (const auto& [name, value] : request.Params()) {
    if (!kKnown.contains(name)) return Plain(400, "unknown parameter " + name);
  }
  PermissionRule rule;
  rule.user = request.Param("user").value_or("*");
  rule.tenant = request.Param("tenant").value_or("*");
  rule.group = request.Param("group").value_or("*");
  rule.data_id = request.Param("data_id").value_or("*");
  if (!SetRuleAction(&rule, request.Param("action").value_or("rw"))) {
    return Plain(400, "bad action (r, w or rw)");
  }
  targets_.logger.Log("control: deny " + rule.user + " on " + rule.tenant + "/" + rule.group + "/" +
                      rule.data_id);
  targets_.permissions.Add(std::move(rule));
  return Plain(200, "ok");
}

}  // namespace fake_nacos
