// Marks the calling thread as background work (shadow copies, their comparison): named (top -H,
// perf) and, by default, scheduled only when a core would otherwise idle, so that shadowing can
// neither take throughput from the clients nor raise their latency. What the shadow threads then
// cannot keep up with is dropped and counted, as their bounded queues already do.
#pragma once

#include <optional>
#include <string_view>

namespace strangler {

// idle: SCHED_IDLE, spare CPU only (at saturation nearly every copy is dropped). low: nice 5, a
// third of a client thread's share when they compete. normal: the same share as the clients.
enum class BackgroundPriority { idle, low, normal };

std::optional<BackgroundPriority> parse_background_priority(std::string_view text);

// `name`: at most 15 characters. Failures are ignored: the thread then runs as before.
void become_background_thread(const char* name, BackgroundPriority priority);

}  // namespace strangler
