// shop_catalog: see shop_catalog.h. Each value is drawn from a splitmix64 hash of (id, salt), with
// a different salt per attribute so attributes do not move in lockstep. Money is kept in integer
// cents and only turned into a JSON number at the end, so totals always add up exactly.
#include "legacy-stub/shop_catalog.h"

#include <array>
#include <cctype>
#include <ctime>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace strangler::stub {
namespace {

using nlohmann::json;

struct Product {
  const char* sku;
  const char* name;
  std::int64_t price_cents;
};

constexpr std::array<Product, 12> kProducts = {{
    {"SKU-1", "Espresso beans 1 kg", 2450},
    {"SKU-2", "Pour-over kettle", 3999},
    {"SKU-3", "Ceramic dripper", 1850},
    {"SKU-4", "Paper filters (100)", 499},
    {"SKU-5", "Burr grinder", 12900},
    {"SKU-6", "Milk jug 600 ml", 1575},
    {"SKU-7", "Digital scale", 2999},
    {"SKU-8", "Tamper 58 mm", 2250},
    {"SKU-9", "Cold brew bottle", 2100},
    {"SKU-10", "Travel mug", 1690},
    {"SKU-11", "Descaler (3 pack)", 1250},
    {"SKU-12", "Barista apron", 2800},
}};

constexpr std::array<const char*, 5> kStatuses = {"pending", "paid", "shipped", "delivered",
                                                  "cancelled"};
constexpr std::array<const char*, 10> kFirstNames = {
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Linus", "Donald", "Frances", "Ken", "Radia"};
constexpr std::array<const char*, 10> kLastNames = {"Lovelace", "Hopper",   "Turing", "Dijkstra",
                                                    "Liskov",   "Torvalds", "Knuth",  "Allen",
                                                    "Thompson", "Perlman"};
struct City {
  const char* name;
  const char* postal_prefix;
  const char* country;
  const char* phone_prefix;
};
constexpr std::array<City, 5> kCities = {{{"Amsterdam", "10", "NL", "+31 6"},
                                          {"Berlin", "10", "DE", "+49 151"},
                                          {"Lyon", "69", "FR", "+33 6"},
                                          {"Porto", "40", "PT", "+351 91"},
                                          {"Dublin", "D0", "IE", "+353 85"}}};
constexpr std::array<const char*, 5> kStreets = {"Market Street", "Canal Road", "Station Square",
                                                 "Harbour Lane", "Mill Street"};
constexpr std::array<std::size_t, 4> kCoprimeSteps = {1, 5, 7, 11};  // to kProducts.size()

constexpr std::int64_t kEpoch = 1672531200;  // 2023-01-01T00:00:00Z: fixed, never the wall clock
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kTwoYears = 730 * kDay;
constexpr std::int64_t kFreeShippingFrom = 10000;
constexpr std::int64_t kShippingFee = 595;
constexpr std::int64_t kTaxPercent = 8;

std::uint64_t mix(std::uint64_t id, std::uint64_t salt) {
  std::uint64_t z = id * 0x9E3779B97F4A7C15ull + salt * 0xBF58476D1CE4E5B9ull + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

template <typename T, std::size_t N>
const T& pick(const std::array<T, N>& items, std::uint64_t id, std::uint64_t salt) {
  return items[mix(id, salt) % N];
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string rfc3339(std::int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Exact for whole cents: the shortest round-trip form of n/100.0 is the decimal we mean.
double money(std::int64_t cents) {
  return static_cast<double>(cents) / 100.0;
}

struct Line {
  std::size_t product;
  std::int64_t qty;
};

struct OrderSpec {
  std::uint64_t id = 0;
  std::uint64_t customer_id = 0;
  std::vector<Line> lines;
  std::string status;
  std::int64_t created = 0;
  std::int64_t updated = 0;
};

std::uint64_t customer_of(std::uint64_t order_id) {
  return 1 + (order_id - 1) % kMaxCustomerId;
}

OrderSpec derive_order(std::uint64_t id) {
  OrderSpec spec;
  spec.id = id;
  spec.customer_id = customer_of(id);
  const std::size_t count = 1 + mix(id, 3) % 4;
  const std::size_t start = mix(id, 4) % kProducts.size();
  const std::size_t step = pick(kCoprimeSteps, id, 5);
  for (std::size_t k = 0; k < count; ++k) {
    const auto qty = static_cast<std::int64_t>(1 + mix(id, 10 + k) % 3);
    spec.lines.push_back({(start + k * step) % kProducts.size(), qty});
  }
  const std::size_t status_index = mix(id, 2) % kStatuses.size();
  spec.status = kStatuses[status_index];
  spec.created = kEpoch + static_cast<std::int64_t>(mix(id, 1) % kTwoYears);
  spec.updated = spec.created + static_cast<std::int64_t>(status_index) * kDay +
                 static_cast<std::int64_t>(mix(id, 6) % 3600);
  return spec;
}

struct Totals {
  std::int64_t subtotal = 0, tax = 0, shipping = 0, total = 0;
};

Totals totals_of(const std::vector<Line>& lines) {
  Totals t;
  for (const auto& line : lines) t.subtotal += line.qty * kProducts[line.product].price_cents;
  t.tax = (t.subtotal * kTaxPercent + 50) / 100;  // rounded half up, to the cent
  t.shipping = t.subtotal >= kFreeShippingFrom ? 0 : kShippingFee;
  t.total = t.subtotal + t.tax + t.shipping;
  return t;
}

json address_json(std::uint64_t customer_id) {
  const City& city = pick(kCities, customer_id, 21);
  return {{"line1",
           fmt::format("{} {}", 1 + mix(customer_id, 22) % 199, pick(kStreets, customer_id, 23))},
          {"city", city.name},
          {"postal_code", fmt::format("{}{:03}", city.postal_prefix, mix(customer_id, 24) % 1000)},
          {"country", city.country}};
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

json customer_ref_json(std::uint64_t customer_id) {
  const std::string first = pick(kFirstNames, customer_id, 11);
  const std::string last = pick(kLastNames, customer_id, 12);
  return {{"id", customer_id},
          {"name", first + " " + last},
          {"email", fmt::format("{}.{}{}@example.com", lower(first), lower(last), customer_id)}};
}

json order_from_spec(const OrderSpec& spec) {
  json items = json::array();
  for (const auto& line : spec.lines) {
    const Product& p = kProducts[line.product];
    items.push_back(
        {{"sku", p.sku}, {"name", p.name}, {"qty", line.qty}, {"price", money(p.price_cents)}});
  }
  const Totals t = totals_of(spec.lines);
  return {{"id", spec.id},
          {"customer", customer_ref_json(spec.customer_id)},
          {"items", std::move(items)},
          {"totals",
           {{"subtotal", money(t.subtotal)},
            {"tax", money(t.tax)},
            {"shipping", money(t.shipping)},
            {"total", money(t.total)}}},
          {"currency", "EUR"},
          {"status", spec.status},
          {"created_at", rfc3339(spec.created)},
          {"updated_at", rfc3339(spec.updated)},
          {"shipping_address", address_json(spec.customer_id)}};
}

std::int64_t item_count(const std::vector<Line>& lines) {
  std::int64_t n = 0;
  for (const auto& line : lines) n += line.qty;
  return n;
}

std::optional<std::size_t> find_product(const std::string& sku) {
  for (std::size_t i = 0; i < kProducts.size(); ++i) {
    if (sku == kProducts[i].sku) return i;
  }
  return std::nullopt;
}

// Reads the items of a POST /orders body into `lines`; returns an error message or "".
std::string read_lines(const json& items, std::vector<Line>& lines) {
  if (!items.is_array() || items.empty() || items.size() > 50) {
    return "items must be an array of 1 to 50 objects";
  }
  for (const auto& item : items) {
    if (!item.is_object()) return "each item must be an object";
    auto sku = item.find("sku");
    if (sku == item.end() || !sku->is_string()) return "each item needs a string sku";
    auto product = find_product(sku->get<std::string>());
    if (!product) return "unknown sku: " + sku->get<std::string>();
    auto qty = item.find("qty");
    if (qty == item.end() || !qty->is_number_integer() || *qty < 1 || *qty > 99) {
      return "each item needs an integer qty from 1 to 99";
    }
    lines.push_back({*product, qty->get<std::int64_t>()});
  }
  return "";
}

}  // namespace

std::optional<std::uint64_t> parse_id(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
  }
  return value;
}

bool order_exists(std::uint64_t id) {
  return id >= 1 && id <= kMaxOrderId;
}
bool customer_exists(std::uint64_t id) {
  return id >= 1 && id <= kMaxCustomerId;
}

json order_json(std::uint64_t id) {
  return order_from_spec(derive_order(id));
}

json customer_orders_json(std::uint64_t customer_id) {
  json orders = json::array();
  const std::uint64_t count = 1 + mix(customer_id, 20) % 5;
  for (std::uint64_t k = 0; k < count; ++k) {
    const OrderSpec spec = derive_order(customer_id + k * kMaxCustomerId);
    orders.push_back({{"id", spec.id},
                      {"status", spec.status},
                      {"total", money(totals_of(spec.lines).total)},
                      {"currency", "EUR"},
                      {"item_count", item_count(spec.lines)},
                      {"created_at", rfc3339(spec.created)}});
  }
  return {{"customer_id", customer_id}, {"orders", std::move(orders)}};
}

json customer_json(std::uint64_t id) {
  json customer = customer_ref_json(id);
  constexpr std::array<const char*, 3> kTiers = {"bronze", "silver", "gold"};
  customer["phone"] =
      fmt::format("{} {:07}", pick(kCities, id, 21).phone_prefix, mix(id, 25) % 10000000);
  customer["tier"] = pick(kTiers, id, 26);
  customer["since"] = rfc3339(kEpoch - static_cast<std::int64_t>(mix(id, 27) % kTwoYears));
  customer["address"] = address_json(id);
  customer["order_count"] = 1 + mix(id, 20) % 5;  // matches customer_orders_json
  customer["marketing"] = {{"newsletter", mix(id, 28) % 2 == 0}, {"sms", false}};
  return customer;
}

json payment_json(std::uint64_t order_id) {
  const OrderSpec spec = derive_order(order_id);
  constexpr std::array<const char*, 3> kMethods = {"card", "paypal", "invoice"};
  const std::string method = pick(kMethods, order_id, 30);
  const bool captured = spec.status != "pending" && spec.status != "cancelled";
  json payment = {{"id", fmt::format("pay_{:012x}", mix(order_id, 31) & 0xffffffffffffull)},
                  {"order_id", order_id},
                  {"amount", money(totals_of(spec.lines).total)},
                  {"currency", "EUR"},
                  {"method", method},
                  {"status", spec.status == "pending" ? "authorized"
                             : captured               ? "captured"
                                                      : "refunded"},
                  {"authorized_at", rfc3339(spec.created + 60)},
                  {"captured_at", captured ? json(rfc3339(spec.created + 3600)) : json(nullptr)}};
  if (method == "card") {
    constexpr std::array<const char*, 3> kBrands = {"visa", "mastercard", "amex"};
    payment["card"] = {{"brand", pick(kBrands, order_id, 32)},
                       {"last4", fmt::format("{:04}", mix(order_id, 33) % 10000)}};
  }
  return payment;
}

json reservations_json(std::uint64_t order_id) {
  const OrderSpec spec = derive_order(order_id);
  constexpr std::array<const char*, 3> kWarehouses = {"AMS-1", "FRA-2", "DUB-1"};
  json reservations = json::array();
  for (std::size_t k = 0; k < spec.lines.size(); ++k) {
    reservations.push_back({{"reservation_id", fmt::format("res_{}_{}", order_id, k + 1)},
                            {"sku", kProducts[spec.lines[k].product].sku},
                            {"qty", spec.lines[k].qty},
                            {"warehouse", pick(kWarehouses, order_id, 40 + k)}});
  }
  const bool done = spec.status == "shipped" || spec.status == "delivered";
  return {{"order_id", order_id},
          {"state", spec.status == "cancelled" ? "released"
                    : done                     ? "fulfilled"
                                               : "reserved"},
          {"reservations", std::move(reservations)},
          {"expires_at", rfc3339(spec.created + 2 * kDay)}};
}

CreatedOrder create_order(const json& request) {
  if (!request.is_object()) return {std::nullopt, "body must be a JSON object"};
  auto customer = request.find("customer_id");
  if (customer == request.end() || !customer->is_number_integer() || *customer < 1 ||
      !customer_exists(customer->get<std::uint64_t>())) {
    return {std::nullopt,
            fmt::format("customer_id must be an integer from 1 to {}", kMaxCustomerId)};
  }
  OrderSpec spec;
  auto items = request.find("items");
  if (items == request.end()) return {std::nullopt, "items is missing"};
  if (auto error = read_lines(*items, spec.lines); !error.empty()) return {std::nullopt, error};
  // nlohmann::json keeps object keys sorted, so dump() is canonical: key order and whitespace in
  // the request do not change the id.
  const std::uint64_t hash = fnv1a(request.dump());
  spec.id = kMaxOrderId + 1 + hash % kMaxOrderId;  // never collides with a derived order
  spec.customer_id = customer->get<std::uint64_t>();
  spec.status = "pending";
  spec.created = kEpoch + static_cast<std::int64_t>(mix(hash, 50) % kTwoYears);
  spec.updated = spec.created;
  return {order_from_spec(spec), ""};
}

}  // namespace strangler::stub
