#include "services/accounts.h"

#include "core/id.h"
#include "core/time.h"
#include "store/accounts.h"
#include "store/plans.h"
#include "store/api_keys.h"
#include "store/auth_generation.h"
#include "services/rate_limiter.h"

#include <boost/json.hpp>

#include <algorithm>

namespace docent::services {

using core::Code;
using core::Error;

std::string_view role_name(Role role) { return role == Role::Admin ? "admin" : "user"; }

namespace {

Account to_account(const store::AccountRecord& r) {
  Account a;
  a.id = r.id;
  a.seq = r.seq;
  a.login = r.login;
  a.first_name = r.first_name;
  a.last_name = r.last_name;
  a.email = r.email;
  a.phone = r.phone;
  a.company = r.company;
  a.department = r.department;
  a.role = r.role == "admin" ? Role::Admin : Role::User;
  a.plan = r.plan;
  a.user_type = r.user_type;
  a.tier = r.tier;
  for (const auto& [name, rate] : parse_rate_overrides(r.rate_limits))
    a.rate_limits.emplace_back(name, core::format_rate(rate));
  a.version = r.version;
  a.created_at = r.created_at;
  a.updated_at = r.updated_at;
  return a;
}

// The stored overrides (a JSON object) with `changes` applied; each value canonical. The input
// was validated.
std::string merged_rate_limits(std::string_view stored,
                               const std::vector<std::pair<std::string, std::optional<std::string>>>& changes) {
  std::map<std::string, std::string> merged;
  for (const auto& [name, rate] : parse_rate_overrides(stored)) merged[name] = core::format_rate(rate);
  for (const auto& [name, value] : changes) {
    if (value) {
      merged[name] = core::format_rate(*core::parse_rate(*value));
    } else {
      merged.erase(name);
    }
  }
  boost::json::object o;
  for (const auto& [name, text] : merged) o[name] = text;
  return boost::json::serialize(o);
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

core::Status check_text(const std::optional<std::string>& value, std::string_view field, size_t max) {
  if (!value) return {};
  if (value->size() > max) {
    return Error(Code::InvalidInput, std::string(field) + " must be at most " + std::to_string(max) + " characters",
                 std::string(field));
  }
  if (has_control_chars(*value)) {
    return Error(Code::InvalidInput, std::string(field) + " must not contain control characters", std::string(field));
  }
  return {};
}

const Error kNotFound(Code::NotFound, "account not found");

}  // namespace

AccountService::AccountService(store::Database& db, const core::Config& config,
                               core::crypto::PasswordParams password_params)
    : db_(db), config_(config), password_params_(password_params) {}

core::Status AccountService::validate(const AccountInput& in, bool creating, bool password_required) const {
  if (creating && (!in.login || in.login->empty())) return Error(Code::MissingField, "Login is required", "Login");
  if (creating && password_required && !in.password)
    return Error(Code::MissingField, "Password is required", "Password");
  if (in.login) {
    if (in.login->empty()) return Error(Code::InvalidInput, "Login must not be empty", "Login");
    if (in.login->front() == ' ' || in.login->back() == ' ') {
      return Error(Code::InvalidInput, "Login must not start or end with a space", "Login");
    }
  }
  for (auto [value, field, max] : {std::tuple{&in.login, "Login", 128},
                                   {&in.first_name, "FirstName", 200},
                                   {&in.last_name, "LastName", 200},
                                   {&in.email, "Email", 320},
                                   {&in.phone, "Phone", 64},
                                   {&in.company, "Company", 200},
                                   {&in.department, "Department", 200}}) {
    if (auto st = check_text(*value, field, static_cast<size_t>(max)); !st) return st;
  }
  if (in.password) {
    if (in.password->size() < 8) return Error(Code::InvalidInput, "Password must be at least 8 characters", "Password");
    if (in.password->size() > core::crypto::kMaxPasswordBytes) {
      return Error(Code::InvalidInput, "Password must be at most 1024 bytes", "Password");
    }
  }
  if (in.email && !in.email->empty()) {
    auto at = in.email->find('@');
    if (at == std::string::npos || at == 0 || at + 1 == in.email->size() || in.email->find(' ') != std::string::npos) {
      return Error(Code::InvalidInput, "Email is not an email address", "Email");
    }
  }
  if (in.role && *in.role != "admin" && *in.role != "user") {
    return Error(Code::InvalidInput, "role must be 'admin' or 'user'", "role");
  }
  if (in.tier && !is_tier(*in.tier)) {
    return Error(Code::InvalidInput, "tier must be 'standard', 'premium' or 'enterprise'", "tier");
  }
  if (in.rate_limits) {
    for (const auto& [name, value] : *in.rate_limits) {
      if (!is_rate_policy(name)) {
        std::string names;
        for (auto p : kRatePolicies) names += (names.empty() ? "" : ", ") + std::string(p);
        return Error(Code::InvalidInput, "rate_limits: '" + name + "' is not a policy; policies are: " + names,
                     "rate_limits");
      }
      if (value && !core::parse_rate(*value)) {
        return Error(Code::InvalidInput,
                     "rate_limits." + name + ": '" + *value +
                         "' is not a rate; write N/period (100/hour, 10/min, 5/30s), off, or null to remove it",
                     "rate_limits");
      }
    }
  }
  return {};
}

namespace {

// The plan must be a row of the plans table (configured or created by an admin). Configured plans
// count even before QuotaService::sync_config_plans wrote them (tools and tests that skip it).
core::Status plan_exists(store::Tx& tx, const core::Config& config, const std::string& plan) {
  if (config.plans.count(plan)) return {};
  auto found = store::plans::by_name(tx, plan);
  if (!found) return found.error();
  if (!*found) return Error(Code::InvalidInput, "plan '" + plan + "' is not defined (see GET /v1/plans)", "plan");
  return {};
}

}  // namespace

core::Result<Account> AccountService::create(const Principal& actor, const AccountInput& input,
                                             const RequestOrigin& origin) {
  if (!actor.is_admin()) return Error(Code::PermissionDenied, "only an admin can create accounts");
  if (auto st = validate(input, true); !st) return st.error();
  auto hash = core::crypto::hash_password(*input.password, password_params_);  // slow: outside the write lock
  if (!hash) return hash.error();
  return insert_new(input, std::move(*hash), &actor, origin);
}

core::Result<Account> AccountService::create_unchecked(const AccountInput& in, const RequestOrigin& origin) {
  if (auto st = validate(in, true); !st) return st.error();
  auto hash = core::crypto::hash_password(*in.password, password_params_);  // slow: outside the write lock
  if (!hash) return hash.error();
  return insert_new(in, std::move(*hash), nullptr, origin);
}

core::Result<Account> AccountService::create_key_only(const AccountInput& in) {
  if (in.password) return Error(Code::InvalidInput, "a key-only account has no password", "Password");
  if (auto st = validate(in, true, false); !st) return st.error();
  return insert_new(in, std::string(), nullptr, cli_origin());
}

core::Result<Account> AccountService::insert_new(const AccountInput& in, std::string password_hash,
                                                 const Principal* actor, const RequestOrigin& origin) {
  store::AccountRecord r;
  r.id = core::new_id();
  r.login = *in.login;
  r.password_hash = std::move(password_hash);
  r.first_name = in.first_name.value_or("");
  r.last_name = in.last_name.value_or("");
  r.email = in.email.value_or("");
  r.phone = in.phone.value_or("");
  r.company = in.company.value_or("");
  r.department = in.department.value_or("");
  r.role = in.role.value_or("user");
  r.plan = in.plan.value_or(config_.accounts.default_plan);
  r.tier = in.tier.value_or("standard");
  if (in.rate_limits) r.rate_limits = merged_rate_limits("{}", *in.rate_limits);
  r.created_at = r.updated_at = core::rfc3339_now();
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = plan_exists(tx, config_, r.plan); !s) return s;
    if (auto s = store::accounts::insert(tx, r); !s) return s;
    if (in.plan) {
      // Named at creation: an admin's assignment, so PUT /user/upgrade-plan never lowers it.
      auto grant = store::PlanGrant{"admin", actor ? actor->account_id : std::string(), r.created_at};
      if (auto s = store::plans::set_grant(tx, r.id, grant); !s) return s;
    }
    if (!audit_) return {};
    auto e = actor ? AuditEntry::by(*actor, origin, "account.create") : AuditEntry::anonymous(origin, "account.create");
    return audit_->record(tx,
                          e.on("account", r.id, r.id).with("login", r.login).with("role", r.role).with("plan", r.plan));
  });
  if (!st) return st.error();
  return to_account(r);
}

core::Result<Account> AccountService::get(const Principal& actor, std::string_view id) {
  if (!actor.may_access(id)) return kNotFound;
  std::optional<store::AccountRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::accounts::by_id(tx, id);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found) return kNotFound;
  return to_account(*found);
}

core::Result<Account> AccountService::update(const Principal& actor, std::string_view id, const AccountInput& in,
                                             const RequestOrigin& origin) {
  if (!actor.may_access(id)) return kNotFound;
  if (auto st = validate(in, false); !st) return st.error();
  if ((in.role || in.plan || in.tier || in.rate_limits) && !actor.is_admin()) {
    return Error(Code::PermissionDenied, "only an admin can change an account's role, plan, tier or rate limits",
                 in.role   ? "role"
                 : in.plan ? "plan"
                 : in.tier ? "tier"
                           : "rate_limits");
  }
  std::optional<std::string> new_hash;
  if (in.password) {
    auto hash = core::crypto::hash_password(*in.password, password_params_);
    if (!hash) return hash.error();
    new_hash = std::move(*hash);
  }
  store::AccountRecord r;
  int64_t generation = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::accounts::by_id(tx, id);
    if (!found) return found.error();
    if (!*found) return kNotFound;
    r = std::move(**found);
    if (in.role && *in.role == "user" && r.role == "admin") {
      auto admins = store::accounts::count_admins(tx);
      if (!admins) return admins.error();
      if (*admins <= 1) return Error(Code::Conflict, "the last admin cannot be demoted", "role");
    }
    if (in.login) r.login = *in.login;
    if (new_hash) r.password_hash = *new_hash;
    if (in.first_name) r.first_name = *in.first_name;
    if (in.last_name) r.last_name = *in.last_name;
    if (in.email) r.email = *in.email;
    if (in.phone) r.phone = *in.phone;
    if (in.company) r.company = *in.company;
    if (in.department) r.department = *in.department;
    const std::string old_plan = r.plan, old_role = r.role;
    if (in.role) r.role = *in.role;
    // Tier and rates ride in the Principal: the generation bump below drops its cached copies.
    if (in.tier) r.tier = *in.tier;
    if (in.rate_limits) r.rate_limits = merged_rate_limits(r.rate_limits, *in.rate_limits);
    r.updated_at = core::rfc3339_now();
    if (in.plan) {
      // An admin's assignment: recorded as a grant, so PUT /user/upgrade-plan never lowers it.
      if (auto s = plan_exists(tx, config_, *in.plan); !s) return s;
      r.plan = *in.plan;
      if (auto s = store::plans::set_grant(tx, r.id, store::PlanGrant{"admin", actor.account_id, r.updated_at}); !s) {
        return s;
      }
    }
    if (auto u = store::accounts::update(tx, r); !u) return u;
    // Any change may change what the account's credentials resolve to (role, plan, and whatever
    // Principal gains later): every process drops its cached principals of the account.
    auto g = store::auth_generation::bump(tx);
    if (!g) return g.error();
    generation = *g;
    if (!audit_) return {};
    if (r.plan != old_plan) {
      auto e = AuditEntry::by(actor, origin, "plan.change").on("account", r.id, r.id);
      if (auto st = audit_->record(tx, e.with("from", old_plan).with("to", r.plan)); !st) return st;
    }
    // Which fields changed, by name (never their values: a password is one of them).
    std::string fields;
    for (auto [set, name] : {std::pair{in.login.has_value(), "login"},
                             {in.password.has_value(), "password"},
                             {in.first_name.has_value(), "first_name"},
                             {in.last_name.has_value(), "last_name"},
                             {in.email.has_value(), "email"},
                             {in.phone.has_value(), "phone"},
                             {in.company.has_value(), "company"},
                             {in.department.has_value(), "department"},
                             {in.role.has_value(), "role"},
                             {in.tier.has_value(), "tier"},
                             {in.rate_limits.has_value(), "rate_limits"}}) {
      if (set) fields += (fields.empty() ? "" : ",") + std::string(name);
    }
    if (fields.empty() && r.plan != old_plan) return {};
    auto e = AuditEntry::by(actor, origin, "account.update").on("account", r.id, r.id).with("fields", fields);
    if (r.role != old_role) e.with("role", r.role);
    return audit_->record(tx, e);
  });
  if (!st) return st.error();
  if (cache_) cache_->invalidate_account(id, generation);
  return to_account(r);
}

core::Status AccountService::remove(const Principal& actor, std::string_view id, const RequestOrigin& origin) {
  if (!actor.may_access(id)) return kNotFound;
  int64_t generation = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::accounts::by_id(tx, id);
    if (!found) return found.error();
    if (!*found) return kNotFound;
    if ((*found)->role == "admin") {
      auto admins = store::accounts::count_admins(tx);
      if (!admins) return admins.error();
      if (*admins <= 1) return Error(Code::Conflict, "the last admin account cannot be deleted");
    }
    std::string now = core::rfc3339_now();
    if (auto st = store::accounts::soft_delete(tx, id, now); !st) return st;
    if (auto st = store::api_keys::revoke_all(tx, id, now); !st) return st;
    auto g = store::auth_generation::bump(tx);
    if (!g) return g.error();
    generation = *g;
    if (!audit_) return {};
    return audit_->record(tx, AuditEntry::by(actor, origin, "account.delete")
                                  .on("account", std::string(id), std::string(id))
                                  .with("login", (*found)->login));
  });
  if (cache_ && st) cache_->invalidate_account(id, generation);
  return st;
}

core::Result<Page<Account>> AccountService::list(const Principal& actor, std::string_view after, int64_t limit) {
  limit = std::clamp<int64_t>(limit, 1, 200);
  Page<Account> page;
  if (!actor.is_admin()) {
    if (!after.empty()) return page;  // a user's list has one account and one page
    auto self = get(actor, actor.account_id);
    if (!self) return self.error();
    page.items.push_back(std::move(*self));
    return page;
  }
  int64_t after_seq = 0;
  if (!after.empty()) {
    try {
      size_t used = 0;
      after_seq = std::stoll(std::string(after), &used);
      if (used != after.size() || after_seq < 0) throw std::invalid_argument("cursor");
    } catch (const std::exception&) {
      return Error(Code::InvalidInput, "after is not a cursor this API returned", "after");
    }
  }
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto rows = store::accounts::list(tx, after_seq, limit + 1);
    if (!rows) return rows.error();
    for (auto& r : *rows) page.items.push_back(to_account(r));
    return {};
  });
  if (!st) return st.error();
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.has_more = true;
    page.next_cursor = std::to_string(page.items.back().seq);
  }
  return page;
}

core::Result<Account> AccountService::login(std::string_view login, std::string_view password,
                                            const RequestOrigin& origin) {
  const Error denied(Code::Unauthenticated, "wrong login or password");
  // The login as typed is kept (bounded), so that guessing against one account shows; the
  // password never is.
  auto refused = [&](const char* reason) {
    if (audit_) {
      (void)audit_->record(
          AuditEntry::anonymous(origin, "auth.login").failed(reason).with("login", std::string(login.substr(0, 128))));
    }
    return denied;
  };
  std::optional<store::AccountRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::accounts::by_login(tx, login);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found || found->password_hash.empty()) {
    // Spend the same time as a real check so that response timing doesn't reveal logins.
    static const std::string kDummy = core::crypto::hash_password("docent-timing-dummy", password_params_).value();
    core::crypto::verify_password(password, kDummy);
    return refused(found ? "no_password" : "wrong_credentials");
  }
  if (!core::crypto::verify_password(password, found->password_hash)) return refused("wrong_credentials");
  if (audit_) {
    Principal self{found->id, found->role == "admin" ? Role::Admin : Role::User, found->plan, "", false};
    (void)audit_->record(AuditEntry::by(self, origin, "auth.login").on("account", found->id, found->id));
  }
  return to_account(*found);
}

core::Result<Account> AccountService::by_login(std::string_view login) {
  std::optional<store::AccountRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::accounts::by_login(tx, login);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found) return Error(Code::NotFound, "no account with login '" + std::string(login) + "'");
  return to_account(*found);
}

core::Result<int64_t> AccountService::count() {
  int64_t n = 0;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto c = store::accounts::count_live(tx);
    if (!c) return c.error();
    n = *c;
    return {};
  });
  if (!st) return st.error();
  return n;
}

}  // namespace docent::services
