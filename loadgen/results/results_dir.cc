#include "loadgen/results/results_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "loadgen/results/step_series.h"
#include "loadgen/results/summary_json.h"

namespace chatd::loadgen {
namespace {

std::string basename_of(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  auto slash = d.rfind('/');
  return slash == std::string::npos ? d : d.substr(slash + 1);
}

}  // namespace

std::string default_out_dir(const std::string& mode, int64_t unix_seconds) {
  time_t t = time_t(unix_seconds);
  tm u;
  gmtime_r(&t, &u);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &u);
  return std::string("results/") + stamp + "-" + mode;
}

Result<void> make_dirs(const std::string& dir) {
  if (dir.empty()) return Error{"empty results folder name"};
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    std::string prefix = dir.substr(0, i);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return system_error("cannot create results folder " + prefix, errno);
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Error{dir + " exists and is not a folder"};
  return {};
}

// Written to a temporary name and renamed, so a reader never sees half a file.
Result<void> write_file(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return system_error("cannot write " + tmp, errno);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return system_error("cannot write " + tmp, err);
    }
    done += std::size_t(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return system_error("cannot rename " + tmp, errno);
  return {};
}

Result<void> write_results(const std::string& dir, const RunReport& report) {
  if (auto r = make_dirs(dir); !r) return r;
  auto put = [&](const std::string& name, const std::string& content) { return write_file(dir + "/" + name, content); };
  if (auto r = put("summary.json", summary_json(report)); !r) return r;
  if (auto r = put("steps.csv", steps_csv(report)); !r) return r;
  if (auto r = put("steps.om", steps_openmetrics(report, basename_of(dir))); !r) return r;
  if (auto r = put("latency.hgrm", report.total_latency.percentile_distribution(kHgrmUnitScale)); !r) return r;
  for (std::size_t i = 0; i < report.steps.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "step-%02u.hgrm", report.steps[i].step);
    if (auto r = put(name, report.step_latency[i].percentile_distribution(kHgrmUnitScale)); !r) return r;
  }
  return {};
}

}  // namespace chatd::loadgen
