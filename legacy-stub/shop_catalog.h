// shop_catalog: the legacy shop's data, computed from ids instead of stored.
//
// Every document here is a pure function of its id (or, for a created order, of the request
// body): no clock, no randomness, no state. That is what lets two stub instances answer alike
// (but for the meta.generated_at stamp that the server adds, see generated_at.h), so the router's
// shadow differ sees only the differences we put there on purpose (see extracted_variant.h) and
// the stamp that its noise check should find. shop_server.cpp calls these and serialises the
// result; this file knows nothing about HTTP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace strangler::stub {

// Ids that exist: 1..kMaxOrderId orders, 1..kMaxCustomerId customers. Order n belongs to customer
// 1 + (n - 1) % kMaxCustomerId, so orders and customers agree with each other.
inline constexpr std::uint64_t kMaxOrderId = 999'999'999;
inline constexpr std::uint64_t kMaxCustomerId = 1000;

// Decimal digits only (no sign, no spaces); nullopt otherwise. Values too large for uint64_t
// saturate to UINT64_MAX, so callers can answer "not found" rather than "malformed".
std::optional<std::uint64_t> parse_id(std::string_view text);

bool order_exists(std::uint64_t id);
bool customer_exists(std::uint64_t id);

// Preconditions for the four below: the id exists (order_exists / customer_exists).
nlohmann::json order_json(std::uint64_t id);
nlohmann::json customer_orders_json(std::uint64_t customer_id);
nlohmann::json customer_json(std::uint64_t id);
nlohmann::json payment_json(std::uint64_t order_id);
nlohmann::json reservations_json(std::uint64_t order_id);

// POST /orders. On success `order` holds the new order (status "pending"), whose id is derived
// from a hash of the canonical request JSON: the same request always creates the same order.
// Nothing is stored, so GET on that id answers 404. On failure `error` says what was wrong.
struct CreatedOrder {
  std::optional<nlohmann::json> order;
  std::string error;
};
CreatedOrder create_order(const nlohmann::json& request);

}  // namespace strangler::stub
