// Runs the real chatd binary (path in $CHATD_BIN) as a child process.
//
// stdout and stderr are read by one thread into buffers for the whole life of
// the child, so a chatty server can never block on a full pipe. The child gets
// PR_SET_PDEATHSIG=SIGKILL: if the test binary dies (timeout, crash) no server
// is left behind. That signal fires when the *forking thread* exits, so start
// servers from the test's main thread, never from a worker thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace chatd_it {

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

struct ExitStatus {
  bool exited = false;  // normal exit; `code` is valid
  int code = -1;
  int signal = 0;  // killed by this signal
  std::string describe() const;
};

struct ProcessOptions {
  std::vector<std::string> args;                             // after argv[0]
  std::vector<std::pair<std::string, std::string>> env;      // added/overridden
  std::optional<uint64_t> nofile;  // RLIMIT_NOFILE (soft and hard) in the child
};

class ChatdProcess {
 public:
  // Forks and execs $CHATD_BIN; does not wait for readiness. Throws
  // HarnessError if the binary is not configured.
  explicit ChatdProcess(ProcessOptions options);
  ~ChatdProcess();  // SIGKILL and reap if still running
  ChatdProcess(const ChatdProcess&) = delete;
  ChatdProcess& operator=(const ChatdProcess&) = delete;

  // Starts chatd on 127.0.0.1 port 0 with `--backend backend --shards shards`
  // plus `extra`, and waits for the ready line. Throws HarnessError with the
  // captured stderr if it does not become ready within `timeout`.
  static std::unique_ptr<ChatdProcess> start(const std::string& backend, int shards,
                                             std::vector<std::string> extra = {},
                                             ProcessOptions base = {}, Ms timeout = 10s);

  // Waits for "chatd ready: port=N backend=B shards=S" on stderr. False on
  // timeout or if the child exits first.
  bool wait_ready(Ms timeout = 10s);
  uint16_t port() const { return port_; }
  const std::string& backend() const { return backend_; }
  int shards() const { return shards_; }
  // metrics_port= of the ready line, -1 if absent or disabled.
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }

  std::string stderr_text() const;
  std::string stdout_text() const;
  // Waits until stderr contains `needle`.
  bool wait_stderr_contains(const std::string& needle, Ms timeout);

  // True once the child's stdout and stderr reached EOF (it exited).
  bool wait_output_closed(Ms timeout);

  void signal(int sig);
  // Reaps the child if it exits within `timeout`.
  std::optional<ExitStatus> wait_exit(Ms timeout);
  bool running();
  void kill_now();  // SIGKILL + reap

  // Sanitizer reports (ASan, LSan, UBSan, TSan) that appeared on stderr since
  // the last call; empty if none. The destructor reports any left as a test
  // failure, so a server built with -Db_sanitize fails the test that hit it.
  std::string take_sanitizer_reports();

  // utime + stime of the child from /proc/PID/stat, in seconds.
  double cpu_seconds() const;

 private:
  void reader_loop(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;
  bool pipes_closed_ = false;
  std::thread reader_;
  uint16_t port_ = 0;
  std::string backend_;
  int shards_ = 0;
  int metrics_port_ = -1;
  size_t sanitizer_scanned_ = 0;
};

// Runs chatd to completion (for --help, --version, bad flags).
struct RunResult {
  ExitStatus status;
  std::string out, err;
};
RunResult run_chatd(std::vector<std::string> args, Ms timeout = 10s,
                    std::vector<std::pair<std::string, std::string>> env = {});

// "--backend X --shards N" style label for parameterised test names.
std::string server_label(const std::string& backend, int shards);

}  // namespace chatd_it
