// stranglerctl status: the migration at a glance, from a running router's admin API (no rules
// database needed).
//
//   auto snapshot = fetch_admin_snapshot(args);    // GET /admin/rules, /admin/breakers,
//                                                  //     /admin/traffic (cpp-httplib client)
//   Json summary = status_summary(snapshot);       // pure: what --json prints
//   render_status(summary, out);                   // pure: the table people read
//
// The summary counts routes per target and how many are still on legacy, moved, or splitting
// between the two; the share of the last window's requests that extracted services served; each
// breaker with its state; and, only when the admin API reports a "shadows" key, the shadowed
// routes' match rates. A router that does not serve /admin/breakers or /admin/traffic (404) is
// reported as such rather than refused; an unreachable router is an AdminError.
#pragma once

#include <ostream>
#include <stdexcept>
#include <string>

#include "rules/rule_json.h"

namespace strangler::ctl {

struct StatusArgs {
  std::string admin_url;    // "http://127.0.0.1:8081"; only http://
  std::string admin_token;  // sent as "Authorization: Bearer <token>" when not empty
  bool json = false;
};

// The admin API could not be used: a bad --admin URL, an unreachable router, a refusal or an
// answer that is not the expected JSON. One line; run_guarded prints it and exits 1.
class AdminError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the admin API answered. `breakers` and `traffic` are null when the router does not serve
// that endpoint (404).
struct AdminSnapshot {
  std::string admin_url;
  Json rules;     // {"version":N,"targets":[...],"routes":[...]} in rule_json's forms
  Json breakers;  // {"targets":[{"name","state","since","window":{"calls","failures"},...}]}
  Json traffic;   // {"window_seconds":300,"targets":[{"name":"legacy","requests":N},...]}
  Json health;    // /healthz: {"status","draining","rules":{"version","stale",...}}
};

// Fetches the three endpoints with a 2 s connect and 5 s read timeout. AdminError as above.
AdminSnapshot fetch_admin_snapshot(const StatusArgs& args);

// One JSON object combining the three answers:
//   {"admin":URL,"rules_version":N,
//    "routes":{"total":N,"on_legacy":N,"moved":N,"splitting":N},
//    "targets":[{"name","routes","split_shares","requests"(null if unknown),
//                "share_percent"(null if unknown)}],
//    "traffic":{"window_seconds","requests","legacy_requests","extracted_requests",
//               "extracted_percent"(null when there were no requests)} | null,
//    "breakers":[ as /admin/breakers reports them ] | null,
//    "shadows": as reported — present only when the admin API reports "shadows",
//    "rules": /healthz's "rules" — present only when reported}
// "on_legacy": routes wholly on legacy; "moved": routes where legacy takes no share;
// "splitting": routes split between legacy and another target. AdminError when the rules are not
// in the expected form.
Json status_summary(const AdminSnapshot& snapshot);

// The summary for people: a headline, the route counts, the traffic share, a table of targets
// and one of breakers, and the shadows' match rates when reported.
void render_status(const Json& summary, std::ostream& out);

// fetch, summarize, then print the table or (args.json) the summary. Returns 0.
int status(const StatusArgs& args, std::ostream& out);

}  // namespace strangler::ctl
