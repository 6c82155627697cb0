#include "loadgen/modes/console.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace chatd::loadgen {
namespace {

void write_stderr(const std::string& s) { (void)!::write(STDERR_FILENO, s.data(), s.size()); }

}  // namespace

Console::Console(bool progress_wanted) : bar_(progress_wanted && ::isatty(STDERR_FILENO)) {}

void Console::progress(std::string_view label, uint64_t done, uint64_t total, std::string_view extra) {
  if (!bar_) return;
  constexpr int kWidth = 30;
  const double fraction = total == 0 ? 1.0 : std::min(1.0, double(done) / double(total));
  const int filled = int(fraction * kWidth);
  std::string s = "\r\033[K";
  s += label;
  s += " [";
  s.append(std::size_t(filled), '#');
  s.append(std::size_t(kWidth - filled), '.');
  char buf[96];
  std::snprintf(buf, sizeof buf, "] %3d%% %llu/%llu ", int(fraction * 100), (unsigned long long)done,
                (unsigned long long)total);
  s += buf;
  s += extra;
  write_stderr(s);
  bar_shown_ = true;
}

void Console::clear_progress() {
  if (!bar_shown_) return;
  write_stderr("\r\033[K");
  bar_shown_ = false;
}

void Console::line(std::string_view text) {
  clear_progress();
  write_stderr(std::string(text) + "\n");
}

void Console::warn(std::string_view text) { line("loadgen: warning: " + std::string(text)); }

}  // namespace chatd::loadgen
