// Which event API a reactor uses, and choosing one once per process.
//
// The backends form an ordered list, most capable first: io_uring, then epoll, which is
// always last and always available. Each is probed before use, so a kernel, seccomp
// filter or container that refuses io_uring costs one log line, not a failed start.
#pragma once

#include "common/backend.h"
#include "common/result.h"

namespace chatd::reactor {

using chatd::Backend;

// Resolves a requested backend to one that works here. auto: the first backend in the
// list whose probe passes; every one skipped is logged (warn) with its reason, e.g.
// "io_uring unavailable (...); falling back to epoll". uring or epoll: that backend, or
// an error saying why it cannot be used (a build without liburing, a kernel that refuses
// io_uring). Call once, before starting shards, so that all shards agree.
// CHATD_FORCE_URING_FAILURE=1 in the environment makes the io_uring probe fail (tests).
Result<Backend> choose_backend(Backend requested);

// The io_uring probe alone: ok, or the reason it cannot be used.
Result<void> probe_uring();

}  // namespace chatd::reactor
