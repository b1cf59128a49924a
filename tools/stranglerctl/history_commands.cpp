// stranglerctl init, history and undo, and run_guarded; see commands.h.
#include <fmt/format.h>

#include "rules/rule_error.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/describe.h"
#include "tools/stranglerctl/status.h"
#include "tools/stranglerctl/table_printer.h"

namespace strangler::ctl {

namespace {

Json parse_or_raw(const std::string& text) {
  auto json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return json.is_discarded() ? Json(text) : json;
}

Json optional_id(const std::optional<std::int64_t>& id) {
  return id ? Json(*id) : Json(nullptr);
}

Json change_to_json(const ChangeRecord& change) {
  return {{"id", change.id},
          {"at", change.at},
          {"user", change.user},
          {"command", change.command},
          {"kind", change.kind},
          {"entity", change.entity},
          {"before", parse_or_raw(change.before)},
          {"after", parse_or_raw(change.after)},
          {"undoes", optional_id(change.undoes)},
          {"undone_by", optional_id(change.undone_by)}};
}

std::string kind_cell(const ChangeRecord& change) {
  if (change.undoes) return fmt::format("undo #{}", *change.undoes);
  if (change.undone_by) return fmt::format("{} (undone by #{})", change.kind, *change.undone_by);
  return change.kind;
}

}  // namespace

int init(const InitArgs& args, const ChangeContext& ctx, std::ostream& out) {
  auto store = RuleStore::create(args.db, args.legacy_url, ctx);
  out << fmt::format("created rule set {}: every request goes to {} ({})\n", args.db,
                     kDefaultTarget, args.legacy_url);
  return 0;
}

int history(const HistoryArgs& args, RuleStore& store, std::ostream& out) {
  auto changes = store.history(args.limit);
  if (args.json) {
    auto list = Json::array();
    for (const auto& change : changes) list.push_back(change_to_json(change));
    out << list.dump(2) << '\n';
    return 0;
  }
  TablePrinter table({"ID", "TIME", "USER", "KIND", "COMMAND", "BEFORE", "AFTER"});
  for (const auto& change : changes) {
    table.add_row({std::to_string(change.id), change.at, change.user, kind_cell(change),
                   change.command, describe_entity(change.entity, parse_or_raw(change.before)),
                   describe_entity(change.entity, parse_or_raw(change.after))});
  }
  table.print(out);
  return 0;
}

int undo(RuleStore& store, const ChangeContext& ctx, std::ostream& out) {
  ChangeRecord reverted = store.undo(ctx);
  out << fmt::format("undid change #{} ({} by {}): {}\n", reverted.id, reverted.kind, reverted.user,
                     describe_change(reverted.entity, parse_or_raw(reverted.after),
                                     parse_or_raw(reverted.before)));
  return 0;
}

int run_guarded(const std::function<int()>& command, std::ostream& err) {
  try {
    return command();
  } catch (const RuleError& e) {
    err << "stranglerctl: " << e.what() << '\n';
  } catch (const StoreError& e) {
    err << "stranglerctl: " << e.what() << '\n';
  } catch (const AdminError& e) {
    err << "stranglerctl: " << e.what() << '\n';
  } catch (const std::exception& e) {
    err << "stranglerctl: unexpected error: " << e.what() << '\n';
  }
  return 1;
}

}  // namespace strangler::ctl
