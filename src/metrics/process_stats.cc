#include "metrics/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

// Weak: chatd links jemalloc, the sanitizer builds do not.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace chatd::metrics {
namespace {

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  const double ticks = double(sysconf(_SC_CLK_TCK));
  if (std::ifstream stat("/proc/self/stat"); stat) {
    std::string line;
    std::getline(stat, line);
    // Fields after the command name, which may contain spaces: skip past ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0, starttime = 0;
    for (int i = 3; rest >> field; ++i) {
      if (i == 14) utime = std::atof(field.c_str());
      if (i == 15) stime = std::atof(field.c_str());
      if (i == 22) {
        starttime = std::atof(field.c_str());
        break;
      }
    }
    s.cpu_seconds = (utime + stime) / ticks;
    s.start_time_seconds = boot_time_seconds() + starttime / ticks;
  }
  if (std::ifstream statm("/proc/self/statm"); statm) {
    double size = 0, resident = 0;
    statm >> size >> resident;
    s.resident_bytes = resident * double(sysconf(_SC_PAGESIZE));
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    int n = 0;
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    s.open_fds = n - 1;  // the directory handle itself
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) s.max_fds = double(lim.rlim_cur);
  return s;
}

double memory_limit_bytes() {
  if (std::ifstream in("/sys/fs/cgroup/memory.max"); in) {
    std::string v;
    in >> v;
    if (!v.empty() && v != "max") return std::atof(v.c_str());
  }
  return double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
}

AllocatorStats read_allocator_stats() {
  AllocatorStats a;
  if (mallctl == nullptr) return a;
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  mallctl("epoch", &epoch, &len, &epoch, len);  // refresh jemalloc's cached stats
  size_t allocated = 0, resident = 0;
  len = sizeof(size_t);
  if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0) a.allocated = double(allocated);
  len = sizeof(size_t);
  if (mallctl("stats.resident", &resident, &len, nullptr, 0) == 0) a.resident = double(resident);
  return a;
}

}  // namespace chatd::metrics
