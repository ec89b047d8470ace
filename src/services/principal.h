#pragma once
// Who is calling: the account behind an API key or a registered device.

#include "core/rate.h"

#include <string>
#include <utility>
#include <vector>

namespace docent::services {

enum class Role { Admin, User };

struct Principal {
  std::string account_id;
  Role role = Role::User;
  std::string plan;
  std::string key_id;             // the API key that authenticated the call; empty for devices
  bool via_device = false;        // authenticated by a Device-Id header
  std::string tier = "standard";  // the account's tier: standard, premium, enterprise (chatbot limits)
  // An admin's per-account rates, by policy name (services/rate_limiter.h); they replace the
  // configured rate of that policy for this account.
  std::vector<std::pair<std::string, core::Rate>> rate_limits;

  bool is_admin() const { return role == Role::Admin; }
  // Admins see everything; everyone else only what their account owns.
  bool may_access(std::string_view owner_account_id) const { return is_admin() || owner_account_id == account_id; }
};

}  // namespace docent::services
