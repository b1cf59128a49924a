// become_background_thread; see background_thread.h.
#include "router/background_thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace strangler {

namespace {

// Nice 5: about a third of a nice-0 thread's CPU share when they compete (CFS weights 335 vs
// 1024), and all the time the I/O threads leave. Measured at saturation (2 cores, 64 connections,
// 100% shadowed): nice 0 compared ~68% of copies and cost the clients ~45% of their throughput;
// nice 5 compares ~17% (still thousands a second) and costs ~25%; nice 10 only 3%.
constexpr int kBackgroundNice = 5;

}  // namespace

void become_background_thread(const char* name) {
  pthread_setname_np(pthread_self(), name);
  // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value alone.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice);
}

}  // namespace strangler
