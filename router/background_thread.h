// Marks the calling thread as background work (shadow copies, their comparison): a lower
// scheduling priority, so that when the cores are busy the threads serving clients run first and
// shadowing cannot raise their latency; whatever the shadow threads then cannot keep up with is
// dropped and counted, as their bounded queues already do. Also names the thread (top -H, perf).
#pragma once

namespace strangler {

// `name`: at most 15 characters. Failures are ignored: the thread then runs as before.
void become_background_thread(const char* name);

}  // namespace strangler
