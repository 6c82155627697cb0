// Runs a binary as a child process for black-box tests: stdin from a file (or
// /dev/null), stdout and stderr into files, so nothing can block on a pipe and no
// reader thread is needed. The child dies with the test (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

namespace loadgen_it {

using Ms = std::chrono::milliseconds;

class ChildProcess {
 public:
  // `stdin_text`: written to a file the child reads as stdin (a pipe-like, non-TTY input).
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& stdin_text = "");
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Exit code (128 + signal if killed), or nullopt if still running after `timeout`.
  std::optional<int> wait_exit(Ms timeout);
  void signal(int sig);
  std::string out() const;
  std::string err() const;
  // Waits until stderr contains `needle`; false on timeout or exit.
  bool wait_stderr(const std::string& needle, Ms timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string dir_;  // holds stdin, stdout, stderr files
};

std::string read_file(const std::string& path);
std::string make_temp_dir();
// A loopback port nothing listens on (bound, read back, closed).
int free_port();

// An environment variable, or "" when unset.
std::string env(const char* name);

// chatd (from $CHATD_BIN) on a free loopback port, `extra` flags added; port is
// read from its ready line and stays 0 (with a test failure) if it never starts.
struct ChatdUnderTest {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};
ChatdUnderTest start_chatd(const std::vector<std::string>& extra);

// Deliveries when `clients` are placed evenly over `rooms` (loadgen's RoomPlan)
// and each sends `msgs` messages, each delivered to every member of its room.
uint64_t room_deliveries(uint64_t clients, uint64_t rooms, uint64_t msgs);

// The exact accounting step k (1-based) of `--ramp 10 --msgs 10 --rooms 2` must
// show in summary.json: 10k clients, all connected, 10 msgs each sent, every room
// delivery received once and in order.
void expect_exact_ramp_step(simdjson::dom::element step, uint64_t k);

}  // namespace loadgen_it
