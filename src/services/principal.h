#pragma once
// Who is calling: the account behind an API key or a registered device.

#include <string>

namespace docent::services {

enum class Role { Admin, User };

struct Principal {
  std::string account_id;
  Role role = Role::User;
  std::string plan;
  std::string key_id;       // the API key that authenticated the call; empty for devices
  bool via_device = false;  // authenticated by a Device-Id header

  bool is_admin() const { return role == Role::Admin; }
  // Admins see everything; everyone else only what their account owns.
  bool may_access(std::string_view owner_account_id) const { return is_admin() || owner_account_id == account_id; }
};

}  // namespace docent::services
