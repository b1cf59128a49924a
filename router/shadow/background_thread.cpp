// become_background_thread; see background_thread.h.
#include "router/shadow/background_thread.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace strangler {

namespace {

// The middle setting between idle and normal. At saturation, the lower the shadow threads'
// priority, the fewer copies they compare and the less they cost the clients' throughput; the
// measured trade-off of each setting is in docs/decisions.md (shadow threads under SCHED_IDLE).
constexpr int kLowNice = 5;

}  // namespace

std::optional<BackgroundPriority> parse_background_priority(std::string_view text) {
  if (text == "idle") return BackgroundPriority::idle;
  if (text == "low") return BackgroundPriority::low;
  if (text == "normal") return BackgroundPriority::normal;
  return std::nullopt;
}

void become_background_thread(const char* name, BackgroundPriority priority) {
  pthread_setname_np(pthread_self(), name);
  if (priority == BackgroundPriority::idle) {
    sched_param param{};
    sched_setscheduler(0, SCHED_IDLE, &param);  // 0: the calling thread (Linux)
  } else if (priority == BackgroundPriority::low) {
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value alone.
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kLowNice);
  }
}

}  // namespace strangler
