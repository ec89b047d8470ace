#include "api/sherpa/format.h"

namespace docent::api::sherpa {

std::string seed_time(const std::string& rfc3339) {
  std::string t = rfc3339.substr(0, 19);
  if (t.size() > 10) t[10] = ' ';
  return t;
}

int64_t account_seq(const Context& ctx, const std::string& account_id) {
  auto a = ctx.accounts->get(services::Principal{account_id, services::Role::Admin}, account_id);
  return a ? a->seq : 0;
}

}  // namespace docent::api::sherpa
