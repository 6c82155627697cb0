#include "server/machine.h"

#include <sched.h>

#include <string>

#include "common/fd_limit.h"
#include "common/log.h"

namespace chatd::server {
namespace {

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

}  // namespace

Result<void> check_cpu_baseline() {
#ifdef CHATD_CPU_BASELINE
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi2"))
    return Error{std::string("built for ") + CHATD_CPU_BASELINE +
                 " (AVX2), which this CPU lacks; rebuild with -Dcpu_baseline="};
#endif
  return {};
}

Sizing size_for_machine(const Config& config) {
  Sizing out;
  out.cpus = allowed_cpus();
  out.shards = config.shards ? config.shards : uint32_t(out.cpus.size());
  const uint64_t fd_limit = raise_fd_limit();
  const uint32_t fd_budget = fd_limit > kFdReserve ? uint32_t(fd_limit - kFdReserve) : 1;
  out.max_conns = config.max_conns ? config.max_conns : fd_budget;
  if (config.max_conns > fd_budget)
    LOG_WARN("--max-conns %u is above the fd limit (%llu less a reserve of %u): accepts will hit EMFILE first",
             config.max_conns, (unsigned long long)fd_limit, kFdReserve);
  return out;
}

}  // namespace chatd::server
