#include "server/stop_signals.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace chatd::server {
namespace {

// Written by the fallback handler, so they must be plain globals: a handler has
// no other way to reach them.
int g_stop_fd = -1;
volatile sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) {
  g_stop_signal = sig;
  uint64_t one = 1;
  (void)!::write(g_stop_fd, &one, sizeof one);
}

}  // namespace

Result<StopSignals> StopSignals::install() {
  g_stop_fd = eventfd(0, EFD_CLOEXEC);
  if (g_stop_fd < 0) return system_error("eventfd", errno);
  struct sigaction stop_action {};
  stop_action.sa_handler = on_stop_signal;
  sigemptyset(&stop_action.sa_mask);
  stop_action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &stop_action, nullptr);
  sigaction(SIGTERM, &stop_action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by every thread
  StopSignals out;
  out.signal_fd_ = UniqueFd(signalfd(-1, &stop_signals, SFD_CLOEXEC));
  if (!out.signal_fd_.valid()) return system_error("signalfd", errno);
  return out;
}

int StopSignals::wait() {
  pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {g_stop_fd, POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return SIGTERM;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) return int(info.ssi_signo);
    }
    if (fds[1].revents & POLLIN) return g_stop_signal ? int(g_stop_signal) : SIGTERM;
  }
}

}  // namespace chatd::server
