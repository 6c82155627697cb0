#include "chatd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "json.h"  // HarnessError

extern char** environ;

namespace chatd_it {

namespace {

std::string chatd_bin() {
  const char* bin = std::getenv("CHATD_BIN");
  if (!bin || !*bin) throw HarnessError("CHATD_BIN is not set (run the tests through meson test)");
  return bin;
}

ExitStatus decode(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal) return std::string("killed by signal ") + strsignal(signal);
  return "still running";
}

ChatdProcess::ChatdProcess(ProcessOptions options) {
  std::vector<std::string> argv_s{chatd_bin()};
  for (auto& a : options.args) argv_s.push_back(a);

  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (auto& [k, v] : options.env)
      if (kv.substr(0, kv.find('=')) == k) overridden = true;
    if (!overridden) env_s.emplace_back(kv);
  }
  for (auto& [k, v] : options.env) env_s.push_back(k + "=" + v);

  // Everything the child touches between fork and exec is prepared here:
  // after fork only async-signal-safe calls are allowed (we are multithreaded).
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw HarnessError(std::string("pipe2: ") + strerror(errno));
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  rlimit lim{};
  bool set_nofile = options.nofile.has_value();
  if (set_nofile) lim.rlim_cur = lim.rlim_max = rlim_t(*options.nofile);
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) throw HarnessError(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (set_nofile && setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(125);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  pid_ = pid;
  close(devnull);
  close(out_pipe[1]);
  close(err_pipe[1]);
  reader_ = std::thread([this, o = out_pipe[0], e = err_pipe[0]] { reader_loop(o, e); });
}

ChatdProcess::~ChatdProcess() {
  kill_now();
  if (reader_.joinable()) reader_.join();
  std::string reports = take_sanitizer_reports();
  if (reports.empty()) return;
  if (testing::UnitTest::GetInstance()->current_test_info())
    ADD_FAILURE() << "chatd printed sanitizer reports:\n" << reports;
  else
    std::fprintf(stderr, "chatd printed sanitizer reports:\n%s\n", reports.c_str());
}

std::string ChatdProcess::take_sanitizer_reports() {
  static const char* const kMarkers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                         "runtime error:", "WARNING: ThreadSanitizer"};
  std::lock_guard lock(mu_);
  size_t first = std::string::npos;
  for (const char* m : kMarkers) first = std::min(first, err_.find(m, sanitizer_scanned_));
  sanitizer_scanned_ = err_.size();
  if (first == std::string::npos) return "";
  size_t line_start = err_.rfind('\n', first);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  return err_.substr(line_start, 6000);
}

std::unique_ptr<ChatdProcess> ChatdProcess::start(const std::string& backend, int shards,
                                                  std::vector<std::string> extra,
                                                  ProcessOptions base, Ms timeout) {
  std::vector<std::string> args{"--port", "0", "--bind", "127.0.0.1", "--backend", backend,
                                "--shards", std::to_string(shards)};
  // Servers run in parallel: the default metrics port (9400) would collide.
  bool has_metrics_port = false;
  for (auto& a : extra) has_metrics_port |= a == "--metrics-port";
  if (!has_metrics_port) args.insert(args.end(), {"--metrics-port", "0"});
  for (auto& a : extra) args.push_back(a);
  std::vector<std::string> all = base.args;
  all.insert(all.end(), args.begin(), args.end());
  base.args = all;
  std::string cmdline = "chatd";
  for (auto& a : base.args) cmdline += " " + a;
  auto p = std::make_unique<ChatdProcess>(std::move(base));
  if (!p->wait_ready(timeout)) {
    std::string err = p->stderr_text();
    auto st = p->wait_exit(0ms);
    throw HarnessError("`" + cmdline + "` did not print its ready line (" +
                       (st ? st->describe() : std::string("still running")) + "); stderr:\n" +
                       err);
  }
  return p;
}

void ChatdProcess::reader_loop(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        std::lock_guard lock(mu_);
        (i == 0 ? out_ : err_).append(buf, size_t(r));
        cv_.notify_all();
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  std::lock_guard lock(mu_);
  pipes_closed_ = true;
  cv_.notify_all();
}

bool ChatdProcess::wait_ready(Ms timeout) {
  // "chatd ready: port=N backend=B shards=S", possibly with more key=value
  // fields (metrics_port=, max_conns=) in between or after.
  static const std::regex ready(R"(chatd ready:([^\n]*)\n)");
  std::unique_lock lock(mu_);
  std::smatch m;
  bool found = cv_.wait_for(lock, timeout, [&] {
    return std::regex_search(err_, m, ready) || pipes_closed_;
  });
  if (!found || !std::regex_search(err_, m, ready)) return false;
  const std::string fields = " " + m[1].str();
  auto field = [&](const std::string& key) -> std::string {
    std::smatch f;
    if (!std::regex_search(fields, f, std::regex(" " + key + "=(\\S+)"))) return "";
    return f[1].str();
  };
  if (field("port").empty() || field("backend").empty() || field("shards").empty())
    throw HarnessError("ready line without port=, backend= and shards=: chatd ready:" + m[1].str());
  port_ = uint16_t(std::stoi(field("port")));
  backend_ = field("backend");
  shards_ = std::stoi(field("shards"));
  std::string mp = field("metrics_port");
  metrics_port_ = mp.empty() ? -1 : std::stoi(mp);
  return true;
}

std::string ChatdProcess::stderr_text() const {
  std::lock_guard lock(mu_);
  return err_;
}

std::string ChatdProcess::stdout_text() const {
  std::lock_guard lock(mu_);
  return out_;
}

bool ChatdProcess::wait_stderr_contains(const std::string& needle, Ms timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    return err_.find(needle) != std::string::npos || pipes_closed_;
  }) && err_.find(needle) != std::string::npos;
}

bool ChatdProcess::wait_output_closed(Ms timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pipes_closed_; });
}

void ChatdProcess::signal(int sig) {
  if (pid_ > 0 && !exit_) ::kill(pid_, sig);
}

std::optional<ExitStatus> ChatdProcess::wait_exit(Ms timeout) {
  if (exit_) return exit_;
  if (pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_ = decode(status);
      return exit_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

bool ChatdProcess::running() { return pid_ > 0 && !wait_exit(0ms); }

void ChatdProcess::kill_now() {
  if (pid_ <= 0 || exit_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_ = decode(status);
}

double ChatdProcess::cpu_seconds() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised comm (which may contain spaces): state is
  // field 3, utime field 14, stime field 15.
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) throw HarnessError("cannot read /proc/PID/stat");
  std::istringstream rest(stat.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

RunResult run_chatd(std::vector<std::string> args, Ms timeout,
                    std::vector<std::pair<std::string, std::string>> env) {
  ProcessOptions o;
  o.args = std::move(args);
  o.env = std::move(env);
  ChatdProcess p(std::move(o));
  RunResult r;
  auto st = p.wait_exit(timeout);
  if (!st) {
    p.kill_now();
    st = p.wait_exit(0ms);
    st->code = -1;
  }
  r.status = *st;
  p.wait_output_closed(1s);
  r.out = p.stdout_text();
  r.err = p.stderr_text();
  return r;
}

std::string server_label(const std::string& backend, int shards) {
  return backend + "_" + std::to_string(shards) + "shards";
}

}  // namespace chatd_it
