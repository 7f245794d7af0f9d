// The reason phrases of the HTTP statuses the daemon itself answers with (token socket, proxy).
#pragma once

namespace tokend {

/// "OK", "Bad Request", ...; "Unknown" for a status the daemon never sends itself.
const char* StatusText(int status);

}  // namespace tokend
