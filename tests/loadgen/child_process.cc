#include "child_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace loadgen_it {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string make_temp_dir() {
  char tmpl[] = "/tmp/loadgen-it-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::string& stdin_text)
    : dir_(make_temp_dir()) {
  const std::string in = dir_ + "/stdin", out = dir_ + "/stdout", err = dir_ + "/stderr";
  std::ofstream(in) << stdin_text;
  std::vector<std::string> argv_storage{binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int i = ::open(in.c_str(), O_RDONLY);
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(i, 0);
    dup2(o, 1);
    dup2(e, 2);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
  }
  std::system(("rm -rf " + dir_).c_str());
}

std::optional<int> ChildProcess::wait_exit(Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(Ms(10));
  }
  return status_;
}

void ChildProcess::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::string ChildProcess::out() const { return read_file(dir_ + "/stdout"); }
std::string ChildProcess::err() const { return read_file(dir_ + "/stderr"); }

bool ChildProcess::wait_stderr(const std::string& needle, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (err().find(needle) != std::string::npos) return true;
    if (wait_exit(Ms(0))) return err().find(needle) != std::string::npos;
    std::this_thread::sleep_for(Ms(10));
  }
  return false;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

ChatdUnderTest start_chatd(const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--port", "0", "--bind", "127.0.0.1", "--metrics-port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  ChatdUnderTest c;
  c.process = std::make_unique<ChildProcess>(env("CHATD_BIN"), args);
  if (!c.process->wait_stderr("chatd ready: port=", std::chrono::seconds(10))) {
    ADD_FAILURE() << "chatd did not start:\n" << c.process->err();
    return c;
  }
  std::smatch m;
  const std::string err = c.process->err();
  if (std::regex_search(err, m, std::regex("chatd ready: port=(\\d+)"))) c.port = std::stoi(m[1]);
  return c;
}

uint64_t room_deliveries(uint64_t clients, uint64_t rooms, uint64_t msgs) {
  uint64_t total = 0;
  for (uint64_t r = 0; r < rooms; ++r) {
    const uint64_t size = clients / rooms + (r < clients % rooms ? 1 : 0);
    total += size * size * msgs;  // each member sends msgs, each delivered to every member
  }
  return total;
}

void expect_exact_ramp_step(simdjson::dom::element s, uint64_t k) {
  const uint64_t clients = 10 * k;
  EXPECT_EQ(uint64_t(s["clients"]), clients);
  EXPECT_EQ(uint64_t(s["connect_failures"]), 0u);
  EXPECT_EQ(uint64_t(s["messages_sent"]), clients * 10);
  EXPECT_EQ(uint64_t(s["deliveries_expected"]), room_deliveries(clients, 2, 10));
  EXPECT_EQ(uint64_t(s["deliveries_received"]), room_deliveries(clients, 2, 10));
  EXPECT_EQ(uint64_t(s["lost"]), 0u);
  EXPECT_EQ(uint64_t(s["duplicates"]), 0u);
  EXPECT_EQ(uint64_t(s["out_of_order"]), 0u);
}

}  // namespace loadgen_it
