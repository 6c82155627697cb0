// stderr for people: a progress bar while connecting and sending (only when
// stderr is a terminal), and whole lines that never mix with the bar.
#pragma once

#include <string>
#include <string_view>

namespace chatd::loadgen {

class Console {
 public:
  explicit Console(bool progress_wanted);
  bool progress_enabled() const { return bar_; }
  void progress(std::string_view label, uint64_t done, uint64_t total, std::string_view extra = {});
  void clear_progress();
  void line(std::string_view text);  // "loadgen: " is not added
  void warn(std::string_view text);  // "loadgen: warning: ..."

 private:
  bool bar_;
  bool bar_shown_ = false;
};

}  // namespace chatd::loadgen
