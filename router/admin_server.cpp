// AdminServer; see admin_server.h.
#include "router/admin_server.h"

#include <httplib.h>

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rules/rule_json.h"

namespace strangler {

namespace {

Json route_table_json(const RouteTable& table) {
  Json targets = Json::array();
  for (const auto& t : table.rules().targets) targets.push_back(target_to_json(t));
  Json routes = Json::array();
  for (const auto& r : table.rules().routes) routes.push_back(route_to_json(r));
  return {{"version", table.version()}, {"targets", targets}, {"routes", routes}};
}

void reply_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

}  // namespace

AdminServer::AdminServer(const ListenAddress& address, const RouteSnapshot& snapshot,
                         const Readiness& readiness)
    : snapshot_(snapshot), readiness_(readiness), server_(std::make_unique<httplib::Server>()) {
  server_->set_keep_alive_max_count(100);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  install_routes();
  int port = address.port == 0
                 ? server_->bind_to_any_port(address.host)
                 : (server_->bind_to_port(address.host, address.port) ? address.port : -1);
  if (port <= 0) {
    throw std::runtime_error(
        fmt::format("cannot listen on admin address {}:{}", address.host, address.port));
  }
  port_ = static_cast<std::uint16_t>(port);
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::install_routes() {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, {{"status", "alive"}});
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    auto state = readiness_.get();
    if (!state.loaded) {
      reply_json(res, 503, {{"ready", false}, {"reason", "no rule set loaded yet"}});
      return;
    }
    Json body = {{"ready", true}, {"rules_version", state.version}, {"loaded_at", state.loaded_at}};
    if (!state.problem.empty()) {
      body["warning"] =
          "serving the last good rules; the database cannot be read: " + state.problem;
    }
    reply_json(res, 200, body);
  });
  server_->Get("/admin/rules", [this](const httplib::Request&, httplib::Response& res) {
    auto table = snapshot_.load();
    if (!table) {
      reply_json(res, 503, {{"error", "no rule set loaded yet"}});
      return;
    }
    reply_json(res, 200, route_table_json(*table));
  });
}

void AdminServer::start() {
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void AdminServer::stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace strangler
