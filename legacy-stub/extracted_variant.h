// extracted_variant: turns the legacy shop's JSON into what the "extracted" orders service says.
//
// A real migration rarely reproduces the monolith byte for byte. `legacy-stub --variant extracted`
// runs these on the catalog's documents so the router's shadow comparisons and ignore rules have
// realistic, known differences to find. The complete list (and nothing else changes):
//
//   Orders — GET /orders/{id} and the 201 body of POST /orders:
//     1. customer.email     renamed to customer.email_address (same value)
//     2. items[*].price     number -> string with exactly two decimals (12.5 -> "12.50")
//     3. items              sorted by sku, descending, byte-wise ("SKU-9" > "SKU-12" > "SKU-1");
//                           the legacy order is the order of the lines as placed
//     4. status             upper-cased ("shipped" -> "SHIPPED")
//     5. api_version        new top-level field, the string "2"
//   Order list — GET /orders?customer={id}:
//     orders[*].status upper-cased (as 4); api_version "2" added at the top level (as 5)
//   Payments — GET /payments/order/{id}:
//     status upper-cased ("captured" -> "CAPTURED"); api_version "2" added at the top level
//   Customers, inventory reservations, /health, /echo, /bytes, /slow: identical to legacy.
//
// Pure functions: JSON in, JSON out, no HTTP. shop_server.cpp applies them per route.
#pragma once

#include <nlohmann/json.hpp>

namespace strangler::stub {

enum class Variant { kLegacy, kExtracted };

// Each takes the legacy document for its route and returns the extracted one. Fields the legacy
// document lacks are left alone, so a partial document never throws.
nlohmann::json extracted_order(nlohmann::json order);
nlohmann::json extracted_order_list(nlohmann::json list);
nlohmann::json extracted_payment(nlohmann::json payment);

}  // namespace strangler::stub
