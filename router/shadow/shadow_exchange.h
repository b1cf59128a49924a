// send_copy: one request, already in memory, sent to a target over a pooled connection, with the
// answer read back into memory up to a cap. Used for shadow copies and the noise check's second
// primary request; both run on the shadow thread, never on a client's I/O thread.
#pragma once

#include <string>

#include "router/net/asio.h"
#include "router/shadow/shadow_job.h"
#include "router/upstream/upstream_pool.h"

namespace strangler {

struct CopyReply {
  bool ok = false;
  CapturedResponse response;  // when ok
  std::string error;          // when not: "connect refused", "timeout", "reset", ...
};

// The whole exchange — connect, write, read — is bounded by the target's timeout (connect by its
// connect timeout). `extra_header` (name, value) is added to the copy; empty name: none.
Task<CopyReply> send_copy(UpstreamPool& pool, const CompiledTarget& target,
                          const CopiedRequest& request,
                          std::pair<std::string_view, std::string_view> extra_header,
                          std::size_t capture_limit);

}  // namespace strangler
