// An identity as the socket serves it: what its keeper publishes, and who
// may ask for its token.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "keeper/identity_board.h"

namespace tokend {

struct ServedIdentity {
  std::string name;
  std::shared_ptr<const IdentityBoard> board;
  /// [socket:NAME]'s lists; unset: whoever may connect to the socket.
  std::optional<AccessConfig> access;
};

/// Every identity, "default" first; replaced whole on a reload.
using ServedIdentities = std::vector<ServedIdentity>;

}  // namespace tokend
