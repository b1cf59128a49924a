// RuleStore's shadow and diff-ignore commands (issue 3): `route shadow`, `route unshadow`,
// `diff ignore` and `diff unignore`. Each is a change of the route (its JSON carries "shadow" and
// "ignores"), so the history shows it and `undo` reverts it like any other route change.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "rules/ascii_case.h"
#include "rules/json_path_pattern.h"
#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/rule_text.h"
#include "rules/rule_validation.h"
#include "rules/store/rule_store.h"
#include "rules/store/rule_store_impl.h"

namespace strangler {

namespace {

bool same_ignore(const DiffIgnore& a, const DiffIgnore& b) {
  if (a.kind != b.kind) return false;
  return a.kind == DiffIgnore::Kind::header ? iequals(a.expr, b.expr) : a.expr == b.expr;
}

// The settings' own checks, before the database is touched.
void validate_shadow_config(const ShadowConfig& config) {
  validate_target_name(config.target);
  if (config.percent < 1 || config.percent > 100) {
    throw RuleError(
        fmt::format("--percent {} is out of range: a shadow mirrors 1..100 % of a "
                    "route's requests",
                    config.percent));
  }
  for (const auto& header : config.compare_headers) validate_header_name(header);
}

// The ignore's own check: a JSON path pattern must parse; a header must be a header name.
void validate_ignore(const DiffIgnore& ignore) {
  if (ignore.kind == DiffIgnore::Kind::header) {
    validate_header_name(ignore.expr);
  } else {
    JsonPathPattern::parse(ignore.expr);
  }
}

std::string shown_ignore(const DiffIgnore& ignore) {
  return ignore.kind == DiffIgnore::Kind::header ? "header " + ignore.expr : ignore.expr;
}

// Route::ignores' order: JSON paths before headers, then by text.
void sort_ignores(std::vector<DiffIgnore>& ignores) {
  std::sort(ignores.begin(), ignores.end(), [](const DiffIgnore& a, const DiffIgnore& b) {
    if (a.kind != b.kind) return a.kind == DiffIgnore::Kind::json_path;
    return a.expr < b.expr;
  });
}

}  // namespace

void RuleStore::Impl::check_shadow(const Route& route, std::string_view prefix) {
  if (!route.shadow) return;
  const std::string& shadow = route.shadow->target;
  if (shadow == route.target) {
    throw RuleError(
        fmt::format("{}route {} already goes to \"{}\": a shadow must be another target", prefix,
                    route_label(route), shadow));
  }
  if (!find_target(shadow)) {
    throw RuleError(
        fmt::format("{}unknown shadow target \"{}\" (add it with: stranglerctl target add {} URL)",
                    prefix, shadow, shadow));
  }
}

Route RuleStore::route(const RouteSelector& selector) {
  return impl_->read([&] { return impl_->select_route(selector); });
}

RouteChange RuleStore::shadow_route(const ShadowSpec& spec, const ChangeContext& ctx) {
  validate_shadow_config(spec.config);
  return impl_->write([&] {
    RouteChange change;
    change.before = impl_->select_route(spec.route);
    change.after = change.before;
    change.after.shadow = spec.config;
    impl_->check_shadow(change.after, "");
    if (change.before.shadow == change.after.shadow) {
      throw RuleError(
          fmt::format("route {} is already shadowed to {} with these settings; "
                      "nothing changed",
                      route_label(change.before), spec.config.target));
    }
    impl_->update_route(change.after);
    impl_->record(ctx, "route shadow", "route", route_to_json(change.before),
                  route_to_json(change.after));
    return change;
  });
}

RouteChange RuleStore::unshadow_route(const RouteSelector& selector, const ChangeContext& ctx) {
  return impl_->write([&] {
    RouteChange change;
    change.before = impl_->select_route(selector);
    if (!change.before.shadow) {
      throw RuleError(
          fmt::format("route {} is not shadowed; nothing changed", route_label(change.before)));
    }
    change.after = change.before;
    change.after.shadow.reset();
    impl_->update_route(change.after);
    impl_->record(ctx, "route unshadow", "route", route_to_json(change.before),
                  route_to_json(change.after));
    return change;
  });
}

RouteChange RuleStore::add_ignore(const RouteSelector& selector, const DiffIgnore& ignore,
                                  const ChangeContext& ctx) {
  validate_ignore(ignore);
  return impl_->write([&] {
    RouteChange change;
    change.before = impl_->select_route(selector);
    for (const auto& existing : change.before.ignores) {
      if (same_ignore(existing, ignore)) {
        throw RuleError(fmt::format("route {} already ignores {}; nothing changed",
                                    route_label(change.before), shown_ignore(existing)));
      }
    }
    change.after = change.before;
    change.after.ignores.push_back(ignore);
    sort_ignores(change.after.ignores);
    impl_->update_route(change.after);
    impl_->record(ctx, "diff ignore", "route", route_to_json(change.before),
                  route_to_json(change.after));
    return change;
  });
}

RouteChange RuleStore::remove_ignore(const RouteSelector& selector, const DiffIgnore& ignore,
                                     const ChangeContext& ctx) {
  return impl_->write([&] {
    RouteChange change;
    change.before = impl_->select_route(selector);
    change.after = change.before;
    auto& ignores = change.after.ignores;
    auto it = std::find_if(ignores.begin(), ignores.end(), [&](const DiffIgnore& existing) {
      return same_ignore(existing, ignore);
    });
    if (it == ignores.end()) {
      throw RuleError(fmt::format("route {} does not ignore {} (see: stranglerctl diff ignores {})",
                                  route_label(change.before), shown_ignore(ignore),
                                  change.before.pattern.text()));
    }
    ignores.erase(it);
    impl_->update_route(change.after);
    impl_->record(ctx, "diff unignore", "route", route_to_json(change.before),
                  route_to_json(change.after));
    return change;
  });
}

}  // namespace strangler
