// extracted_variant: see extracted_variant.h for the list of differences and why they exist.
#include "legacy-stub/extracted_variant.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>

namespace strangler::stub {
namespace {

using nlohmann::json;

void upper_case_status(json& doc) {
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_string()) return;
  std::string text = status->get<std::string>();
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  *status = text;
}

void rename_email(json& order) {
  auto customer = order.find("customer");
  if (customer == order.end() || !customer->is_object() || !customer->contains("email")) return;
  (*customer)["email_address"] = std::move((*customer)["email"]);
  customer->erase("email");
}

void rework_items(json& order) {
  auto items = order.find("items");
  if (items == order.end() || !items->is_array()) return;
  for (auto& item : *items) {
    auto price = item.find("price");
    if (price != item.end() && price->is_number())
      *price = fmt::format("{:.2f}", price->get<double>());
  }
  auto sku_of = [](const json& item) { return item.is_object() ? item.value("sku", "") : ""; };
  std::stable_sort(items->begin(), items->end(),
                   [&](const json& a, const json& b) { return sku_of(a) > sku_of(b); });
}

}  // namespace

json extracted_order(json order) {
  if (!order.is_object()) return order;
  rename_email(order);
  rework_items(order);
  upper_case_status(order);
  order["api_version"] = "2";
  return order;
}

json extracted_order_list(json list) {
  if (!list.is_object()) return list;
  if (auto orders = list.find("orders"); orders != list.end() && orders->is_array()) {
    for (auto& summary : *orders) {
      if (summary.is_object()) upper_case_status(summary);
    }
  }
  list["api_version"] = "2";
  return list;
}

json extracted_payment(json payment) {
  if (!payment.is_object()) return payment;
  upper_case_status(payment);
  payment["api_version"] = "2";
  return payment;
}

}  // namespace strangler::stub
