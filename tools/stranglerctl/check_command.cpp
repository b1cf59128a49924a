// `stranglerctl check`: is this rules database one a router can serve? Two questions: is the
// SQLite file sound (PRAGMA quick_check), and do the rules compile into a RouteTable exactly as
// the router builds them (a hand-edited or half-migrated file can hold rules the CLI would have
// refused)? Prints one line per problem, or "ok".
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "rules/route_table.h"
#include "rules/rule_error.h"
#include "rules/store/sqlite_db.h"
#include "rules/store/store_error.h"
#include "tools/stranglerctl/commands.h"

namespace strangler::ctl {

namespace {

// PRAGMA quick_check over a connection of its own: the problems SQLite finds, one line each.
std::vector<std::string> quick_check(const std::string& path) {
  std::vector<std::string> problems;
  try {
    sqlite::Database db(path, sqlite::Database::Mode::kReadOnly);
    db.set_busy_timeout(kDefaultBusyTimeout);
    auto rows = db.prepare("PRAGMA quick_check");
    while (rows.step()) {
      auto text = rows.text(0);
      if (text == "ok") continue;
      // One row may hold several lines ("*** in database main ***\nPage 7: ...").
      for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
        end = std::min(text.find('\n', start), text.size());
        if (end > start) problems.push_back("database: " + text.substr(start, end - start));
      }
    }
  } catch (const StoreError& e) {
    problems.push_back(std::string("database: ") + e.what());
  }
  return problems;
}

}  // namespace

int check(RuleStore& store, std::ostream& out) {
  auto problems = quick_check(store.path());
  if (problems.empty()) {
    try {
      auto rules = store.load_rule_set();
      RouteTable::build(std::move(rules));
    } catch (const RuleError& e) {
      problems.push_back(std::string("rules: ") + e.what());
    } catch (const StoreError& e) {
      problems.push_back(std::string("database: ") + e.what());
    } catch (const std::exception& e) {  // e.g. a stored JSON column that does not parse
      problems.push_back(std::string("rules: ") + e.what());
    }
  }
  for (const auto& problem : problems) out << problem << '\n';
  if (problems.empty()) out << "ok\n";
  return problems.empty() ? 0 : 1;
}

}  // namespace strangler::ctl
