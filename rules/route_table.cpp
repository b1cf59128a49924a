// RouteTable: compiles a RuleSet into a segment trie and matches requests against it.
//
// Each trie node stands for a pattern prefix: it has literal children, at most one '*' child, and
// the routes whose pattern ends there, split into prefix and exact routes. A match walks the
// request path's segments, following the literal child and the '*' child (backtracking, so a
// literal that leads nowhere does not hide a wildcard route), and keeps the most specific route
// that admits the method. Prefix routes count at every node the walk passes; exact routes only
// where the path ends. The winner is unique because build() refuses ambiguous routes, and it finds
// them with the same trie while building it.
//
// Layout, for the sake of the cache at 100,000 routes: nodes are small records in one vector
// (a route's nodes are created one after another, so they sit together), routes in one entry
// array grouped by node, and every literal edge in one open-addressing hash table keyed by
// (parent node, segment), short segments stored in the slot itself. A step down the trie then
// costs about two cache misses: the edge slot and the child's node record.
#include "rules/route_table.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "rules/route_precedence.h"
#include "rules/rule_error.h"

namespace strangler {
namespace {

struct Entry {
  std::uint64_t key;  // specificity_key of the route
  std::uint32_t index;
  MethodSet methods;
};

// The best candidate so far in a match; index < 0 while there is none.
struct Best {
  std::uint64_t key = 0;
  std::int64_t index = -1;
};

void consider(const Entry* entry, const Entry* end, std::uint16_t method, Best& best) {
  for (; entry != end; ++entry) {
    if ((best.index < 0 || entry->key > best.key) && entry->methods.admits_bit(method)) {
      best = Best{entry->key, entry->index};
    }
  }
}

// Literal edges of the whole trie: (parent node, segment) -> child node. Linear probing over a
// power-of-two table at most half full; a slot with child 0 is empty (node 0 is the root).
class EdgeTable {
 public:
  std::uint32_t find(std::uint32_t parent, std::string_view segment) const {
    if (slots_.empty()) return 0;
    const std::uint64_t hash = hash_of(parent, segment);
    for (std::size_t i = hash & mask();; i = (i + 1) & mask()) {
      const Slot& slot = slots_[i];
      if (slot.child == 0) return 0;
      if (slot.hash == hash && slot.parent == parent && key(slot) == segment) return slot.child;
    }
  }

  void insert(std::uint32_t parent, std::string_view segment, std::uint32_t child) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    Slot slot{
        hash_of(parent, segment), parent, child, static_cast<std::uint32_t>(segment.size()), {}};
    if (segment.size() <= sizeof(slot.key.text)) {
      std::memcpy(slot.key.text, segment.data(), segment.size());
    } else {
      slot.key.offset = static_cast<std::uint32_t>(pool_.size());
      pool_.append(segment);
    }
    place(slot);
    ++size_;
  }

 private:
  struct Slot {
    std::uint64_t hash;
    std::uint32_t parent;
    std::uint32_t child;
    std::uint32_t size;
    union {
      char text[12];         // the segment itself when it fits
      std::uint32_t offset;  // else its place in pool_
    } key;
  };

  static std::uint64_t hash_of(std::uint32_t parent, std::string_view segment) {
    std::uint64_t h = std::hash<std::string_view>{}(segment) ^
                      ((parent + std::uint64_t{1}) * 0x9E3779B97F4A7C15ull);
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 32);
  }

  std::size_t mask() const { return slots_.size() - 1; }

  std::string_view key(const Slot& slot) const {
    if (slot.size <= sizeof(slot.key.text)) return {slot.key.text, slot.size};
    return {pool_.data() + slot.key.offset, slot.size};
  }

  void place(const Slot& slot) {
    std::size_t i = slot.hash & mask();
    while (slots_[i].child != 0) i = (i + 1) & mask();
    slots_[i] = slot;
  }

  void grow() {
    std::vector<Slot> old(slots_.empty() ? 16 : slots_.size() * 2, Slot{});
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.child != 0) place(slot);
    }
  }

  std::vector<Slot> slots_;
  std::string pool_;  // segments longer than Slot::key.text
  std::size_t size_ = 0;
};

// A node while the trie is built: it knows its literal children (the ambiguity search needs to
// enumerate them) and collects its routes, which finish() then packs into one array.
struct BuildNode {
  std::uint32_t wildcard = 0;
  std::vector<std::uint32_t> literals;
  std::vector<Entry> prefix;
  std::vector<Entry> exact;
};

// The compiled trie as match() reads it.
struct FlatTrie {
  struct Node {
    std::uint32_t wildcard = 0;      // 0: none
    std::uint32_t first = 0;         // entries[first, first + prefix_count) are prefix routes, the
    std::uint32_t prefix_count = 0;  // next exact_count ones exact routes
    std::uint32_t exact_count = 0;
  };

  std::vector<Node> nodes;
  std::vector<Entry> entries;
  EdgeTable edges;

  // `rest` is the part of the path below `node`: "" at the end, else "/segment...".
  void match(std::uint32_t node, std::string_view rest, std::uint16_t method, Best& best) const {
    const Node& n = nodes[node];
    const Entry* prefix = entries.data() + n.first;
    consider(prefix, prefix + n.prefix_count, method, best);
    if (rest.empty()) {
      consider(prefix + n.prefix_count, prefix + n.prefix_count + n.exact_count, method, best);
      return;
    }
    const auto slash = rest.find('/', 1);
    const std::string_view segment = rest.substr(1, slash == rest.npos ? rest.npos : slash - 1);
    const std::string_view below = slash == rest.npos ? std::string_view() : rest.substr(slash);
    if (const std::uint32_t child = edges.find(node, segment)) match(child, below, method, best);
    if (n.wildcard != 0 && !segment.empty()) match(n.wildcard, below, method, best);
  }
};

class TrieBuilder {
 public:
  TrieBuilder() : nodes_(1) {}

  void add(const Route& route, std::uint32_t index) {
    std::uint32_t node = 0;
    for (const auto& segment : route.pattern.segments) node = child(node, segment);
    auto& list = route.pattern.exact ? nodes_[node].exact : nodes_[node].prefix;
    list.push_back(Entry{specificity_key(route), index, route.methods});
  }

  // An added route ambiguous with `candidate`. Ambiguous routes have the same segment count and
  // exactness, so they end at nodes of the same depth reached through unifiable segments. A '*'
  // in the candidate visits every literal child of its node: cheap for real rule sets, though a
  // contrived set (thousands of "/*/a/..." against thousands of "/xN/b/...") makes it quadratic.
  std::optional<std::uint32_t> find_ambiguous(const Route& candidate,
                                              const std::vector<Route>& routes) const {
    return search(0, 0, candidate, routes);
  }

  FlatTrie finish() {
    FlatTrie trie;
    trie.nodes.reserve(nodes_.size());
    for (const BuildNode& node : nodes_) {
      const auto first = static_cast<std::uint32_t>(trie.entries.size());
      trie.entries.insert(trie.entries.end(), node.prefix.begin(), node.prefix.end());
      trie.entries.insert(trie.entries.end(), node.exact.begin(), node.exact.end());
      trie.nodes.push_back({node.wildcard, first, static_cast<std::uint32_t>(node.prefix.size()),
                            static_cast<std::uint32_t>(node.exact.size())});
    }
    trie.edges = std::move(edges_);
    return trie;
  }

 private:
  std::uint32_t child(std::uint32_t node, const PatternSegment& segment) {
    std::uint32_t found =
        segment.wildcard ? nodes_[node].wildcard : edges_.find(node, segment.literal);
    if (found != 0) return found;
    found = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();  // invalidates references into nodes_
    if (segment.wildcard) {
      nodes_[node].wildcard = found;
    } else {
      nodes_[node].literals.push_back(found);
      edges_.insert(node, segment.literal, found);
    }
    return found;
  }

  std::optional<std::uint32_t> search(std::uint32_t node, std::size_t depth, const Route& candidate,
                                      const std::vector<Route>& routes) const {
    const BuildNode& n = nodes_[node];
    const auto& segments = candidate.pattern.segments;
    if (depth == segments.size()) {
      for (const auto& entry : candidate.pattern.exact ? n.exact : n.prefix) {
        if (ambiguous(routes[entry.index], candidate)) return entry.index;
      }
      return std::nullopt;
    }
    std::optional<std::uint32_t> found;
    if (n.wildcard != 0) found = search(n.wildcard, depth + 1, candidate, routes);
    if (found) return found;
    if (!segments[depth].wildcard) {
      const std::uint32_t next = edges_.find(node, segments[depth].literal);
      return next == 0 ? std::nullopt : search(next, depth + 1, candidate, routes);
    }
    for (const std::uint32_t next : n.literals) {
      if ((found = search(next, depth + 1, candidate, routes))) return found;
    }
    return std::nullopt;
  }

  std::vector<BuildNode> nodes_;
  EdgeTable edges_;
};

}  // namespace

struct RouteTable::Trie {
  FlatTrie flat;
};

RouteTable::RouteTable() = default;
RouteTable::~RouteTable() = default;

namespace {

bool same_shape(const std::vector<Route>& a, const std::vector<Route>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Route& x, const Route& y) {
    return x.pattern == y.pattern && x.methods == y.methods;
  });
}

}  // namespace

std::shared_ptr<const RouteTable> RouteTable::build(RuleSet rules, const RouteTable* previous) {
  std::shared_ptr<RouteTable> table(new RouteTable());
  table->rules_ = std::move(rules);
  table->compile_targets();
  const bool reuse = previous && same_shape(previous->rules_.routes, table->rules_.routes);
  table->compile_routes(reuse ? previous->trie_ : nullptr);
  return table;
}

void RouteTable::compile_targets() {
  targets_.reserve(rules_.targets.size());
  std::optional<std::size_t> legacy;
  for (const auto& target : rules_.targets) {
    for (const auto& seen : targets_) {
      if (seen.target.name == target.name) {
        throw RuleError(fmt::format("duplicate target {:?}", target.name));
      }
    }
    try {
      targets_.push_back(CompiledTarget{target, parse_target_url(target.url)});
    } catch (const RuleError& e) {
      throw RuleError(fmt::format("target {:?}: {}", target.name, e.what()));
    }
    if (target.name == kDefaultTarget) legacy = targets_.size() - 1;
  }
  if (!legacy) {
    throw RuleError(
        fmt::format("no {:?} target: a rule set needs one to receive the requests no route matches",
                    kDefaultTarget));
  }
  default_route_ = CompiledRoute{nullptr, *legacy, 0};
}

void RouteTable::compile_routes(std::shared_ptr<const Trie> trie) {
  std::unordered_map<std::string_view, std::size_t> index_of;
  for (std::size_t i = 0; i < targets_.size(); ++i) index_of[targets_[i].target.name] = i;
  const auto resolve = [&](const Route& route, const std::string& name) {
    const auto it = index_of.find(name);
    if (it == index_of.end()) {
      throw RuleError(fmt::format("route {:?} names unknown target {:?}; add the target first",
                                  route.pattern.text(), name));
    }
    return it->second;
  };
  TrieBuilder builder;
  routes_.reserve(rules_.routes.size());
  for (std::uint32_t i = 0; i < rules_.routes.size(); ++i) {
    const Route& route = rules_.routes[i];
    CompiledRoute compiled{&route, resolve(route, route.target), 0};
    compiled.label = route.pattern.text();
    compiled.slot = i;
    if (auto fallback = effective_fallback(route, route.target)) {
      compiled.fallback_index = resolve(route, *fallback);
    }
    if (!route.split_target.empty()) {
      compiled.split_target_index = resolve(route, route.split_target);
      if (auto fallback = effective_fallback(route, route.split_target)) {
        compiled.split_fallback_index = resolve(route, *fallback);
      }
    }
    if (route.shadow) compiled.shadow_index = resolve(route, route.shadow->target);
    routes_.push_back(std::move(compiled));
    if (trie) continue;  // the routes of `trie` had this shape, and were checked then
    if (const auto other = builder.find_ambiguous(route, rules_.routes)) {
      throw RuleError(conflict_message(rules_.routes[*other], route));
    }
    builder.add(route, i);
  }
  default_route_.slot = routes_.size();
  trie_ = trie ? std::move(trie) : std::make_shared<const Trie>(Trie{builder.finish()});
}

const CompiledRoute& RouteTable::match(std::string_view method,
                                       std::string_view normalized_path) const {
  Best best;
  const std::string_view rest = normalized_path == "/" ? std::string_view() : normalized_path;
  trie_->flat.match(0, rest, MethodSet::method_bit(method), best);
  return best.index < 0 ? default_route_ : routes_[static_cast<std::size_t>(best.index)];
}

}  // namespace strangler
