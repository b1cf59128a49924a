// RuleStore::undo: reverts the newest change that is neither an undo nor already undone (so
// repeated undos walk back through the history like a stack) by restoring the entity's "before"
// JSON. The restored state is validated again like a fresh command, and the entity must still be
// exactly what that change left; otherwise the undo is refused and nothing is written.
#include <fmt/format.h>

#include "rules/route_precedence.h"
#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/rule_text.h"
#include "rules/store/rule_store.h"
#include "rules/store/rule_store_impl.h"

namespace strangler {

namespace {

// The JSON of whichever side existed: it carries the entity's key (target name, route id).
const Json& known_side(const Json& before, const Json& after) {
  return before.is_null() ? after : before;
}

}  // namespace

void RuleStore::Impl::revert_target(const Json& before, const Json& after,
                                    const std::string& prefix) {
  auto name = known_side(before, after).at("name").get<std::string>();
  auto current = find_target(name);
  bool unchanged =
      after.is_null() ? !current : current && same_target(*current, target_from_json(after));
  if (!unchanged) {
    throw RuleError(
        fmt::format("{}target \"{}\" is no longer as that change left it", prefix, name));
  }
  if (before.is_null()) {
    require_unused(name, prefix);
    delete_target(name);
    return;
  }
  Target restored = target_from_json(before);
  validate_target(restored);
  if (current) {
    update_target(restored);
  } else {
    insert_target(restored);
  }
}

void RuleStore::Impl::revert_route(const Json& before, const Json& after,
                                   const std::string& prefix) {
  auto id = known_side(before, after).at("id").get<std::int64_t>();
  auto current = find_route(id);
  bool unchanged =
      after.is_null() ? !current : current && same_route(*current, route_from_json(after));
  if (!unchanged) {
    throw RuleError(fmt::format("{}route #{} is no longer as that change left it", prefix, id));
  }
  if (before.is_null()) {
    delete_route(id);
    return;
  }
  Route restored = route_from_json(before);
  for (const auto& target : {restored.target, restored.split_target}) {
    if (!target.empty() && !find_target(target)) {
      throw RuleError(fmt::format("{}route {} needs target \"{}\", which no longer exists", prefix,
                                  route_label(restored), target));
    }
  }
  check_fallback(restored, prefix);
  check_shadow(restored, prefix);
  if (current) {
    update_route(restored);
    return;
  }
  if (auto conflict = find_conflict(read_routes(), restored)) throw RuleError(prefix + *conflict);
  insert_route(restored);
}

ChangeRecord RuleStore::undo(const ChangeContext& ctx) {
  return impl_->write([&] {
    auto select = impl_->db.prepare(
        "SELECT id, at, user, command, kind, entity, before_json, after_json, undoes, undone_by "
        "FROM changes WHERE kind <> ?1 AND undone_by IS NULL ORDER BY id DESC LIMIT 1");
    select.bind(1, "undo");
    if (!select.step()) throw RuleError("nothing to undo");
    ChangeRecord change{select.int64(0), select.text(1), select.text(2), select.text(3),
                        select.text(4),  select.text(5), select.text(6), select.text(7)};
    if (change.kind == "init") throw RuleError("nothing to undo");
    auto prefix = fmt::format("cannot undo change #{} ({}): ", change.id, change.kind);
    Json before, after;
    try {
      before = Json::parse(change.before);
      after = Json::parse(change.after);
      if (change.entity == "target") {
        impl_->revert_target(before, after, prefix);
      } else if (change.entity == "route") {
        impl_->revert_route(before, after, prefix);
      } else {
        throw RuleError(fmt::format("{}unknown entity \"{}\"", prefix, change.entity));
      }
    } catch (const nlohmann::json::exception& e) {
      throw RuleError(fmt::format("{}its history row is damaged ({})", prefix, e.what()));
    }
    std::int64_t undo_id = impl_->record(ctx, "undo", change.entity, after, before, change.id);
    auto mark = impl_->db.prepare("UPDATE changes SET undone_by = ?1 WHERE id = ?2");
    mark.bind(1, undo_id).bind(2, change.id);
    mark.run();
    change.undone_by = undo_id;
    return change;
  });
}

}  // namespace strangler
