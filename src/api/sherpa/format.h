#pragma once
// How the sherpa face writes values its seed shows in a particular form, shared by its routes.

#include "api/context.h"

#include <string>

namespace docent::api::sherpa {

// The seed's timestamps, "2023-01-29 10:29:25", from docent's RFC 3339 text.
std::string seed_time(const std::string& rfc3339);

// The account's small number (what the seed shows as "account_id"); 0 if it is gone.
int64_t account_seq(const Context& ctx, const std::string& account_id);

}  // namespace docent::api::sherpa
