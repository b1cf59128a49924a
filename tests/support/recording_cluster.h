// RecordingCluster: a Cluster whose legacy target is an in-process RecordingUpstream, with the
// router started — for tests that check exactly what the router sends upstream and returns.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/recording_upstream.h"

namespace strangler::test {

struct RecordingCluster {
  explicit RecordingCluster(RecordingUpstream::Responder responder = {},
                            const std::vector<std::string>& router_args = {})
      : upstream(std::move(responder)) {
    c.ctl_ok({"init", "--legacy", upstream.url()});
    c.start_router(router_args);
  }

  RecordingUpstream upstream;  // declared first: outlives the router
  Cluster c;
};

}  // namespace strangler::test
