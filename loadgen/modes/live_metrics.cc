#include "loadgen/modes/live_metrics.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "loadgen/engine/engine.h"
#include "loadgen/modes/run_context.h"
#include "loadgen/cli/stop_signals.h"
#include "loadgen/results/summary_json.h"
#include "net/listener.h"

namespace chatd::loadgen {
namespace {

constexpr int kAcceptPollMs = 200;  // how quickly the thread notices it should stop
constexpr std::size_t kMaxRequest = 8192;

void add_metric(std::string& out, const char* name, const char* type, const char* help, const std::string& value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + value + "\n";
}

void send_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += std::size_t(n);
  }
}

}  // namespace

std::string live_exposition(const LiveFigures& f, const metrics::HdrHistogram& latency_us) {
  std::string out;
  add_metric(out, "loadgen_clients_connected", "gauge", "Clients joined and connected now.",
             std::to_string(f.clients));
  add_metric(out, "loadgen_messages_sent_total", "counter", "Messages sent since the start.", std::to_string(f.sent));
  add_metric(out, "loadgen_messages_received_total", "counter", "Deliveries received since the start.",
             std::to_string(f.received));
  // Every code from the first scrape on, so rate() has a zero to start from and
  // a dashboard can tell "no errors" from "no data".
  out += "# HELP loadgen_errors_total Error events the server sent loadgen's clients, by code (code=\"other\": "
         "a code the contract does not name).\n# TYPE loadgen_errors_total counter\n";
  for (std::size_t i = 0; i < kErrorCodeSlots; ++i)
    out += "loadgen_errors_total{code=\"" + std::string(error_code_name(i)) + "\"} " + std::to_string(f.errors[i]) +
           "\n";
  out += "# HELP loadgen_latency_seconds End-to-end delivery latency over the completed steps.\n"
         "# TYPE loadgen_latency_seconds histogram\n";
  // 1-2-5 steps from 1 µs to 10 s: 22 buckets. HDR keeps 3 digits, so the counts
  // at these bounds are exact to within 0.1% of the bound.
  for (int64_t decade = 1; decade <= 10'000'000; decade *= 10) {
    for (int64_t m : {1, 2, 5}) {
      const int64_t bound_us = decade * m;
      if (bound_us > 10'000'000) break;
      std::string le;
      append_json_double(le, double(bound_us) / 1e6);
      out += "loadgen_latency_seconds_bucket{le=\"" + le + "\"} " +
             std::to_string(latency_us.count_at_or_below(bound_us)) + "\n";
    }
  }
  const int64_t count = latency_us.total_count();
  std::string sum;
  append_json_double(sum, latency_us.mean() * double(count) / 1e6);  // from bucket midpoints
  out += "loadgen_latency_seconds_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  out += "loadgen_latency_seconds_sum " + sum + "\n";
  out += "loadgen_latency_seconds_count " + std::to_string(count) + "\n";
  add_metric(out, "loadgen_step", "gauge", "The step running now (0 before the first).", std::to_string(f.step));
  return out;
}

LiveMetricsServer::LiveMetricsServer(UniqueFd listener, uint16_t port, const Engine& engine)
    : listener_(std::move(listener)), port_(port), engine_(engine), latency_(1, 60'000'000, 3) {}

Result<std::unique_ptr<LiveMetricsServer>> LiveMetricsServer::start(uint16_t port, const RunContext& ctx) {
  // Loopback only: the figures are for a local dashboard or Prometheus, not the world.
  auto fd = net::open_listener("127.0.0.1", port, 16);
  if (!fd) return fd.error();
  auto bound = net::bound_port(fd->get());
  if (!bound) return bound.error();
  std::unique_ptr<LiveMetricsServer> s(new LiveMetricsServer(std::move(*fd), *bound, *ctx.engine));
  s->thread_ = std::thread([p = s.get()] {
    block_stop_signals();
    p->serve();
  });
  return s;
}

LiveMetricsServer::~LiveMetricsServer() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

void LiveMetricsServer::publish_latency(const metrics::HdrHistogram& merged) {
  std::lock_guard lock(mu_);
  latency_ = merged;
}

std::string LiveMetricsServer::exposition() {
  const EngineProgress p = engine_.progress();
  const LiveFigures f{p.connected, p.sent_total, p.received_total, step_.load(std::memory_order_relaxed),
                      p.errors_total};
  std::lock_guard lock(mu_);
  return live_exposition(f, latency_);
}

void LiveMetricsServer::serve() {
  while (!stop_.load(std::memory_order_relaxed)) {
    pollfd pfd{listener_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, kAcceptPollMs) != 1) continue;
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) continue;
    timeval tv{1, 0};  // a client that sends nothing cannot hold the thread
    setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(conn.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string request;
    char buf[2048];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequest) {
      ssize_t n = ::recv(conn.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, std::size_t(n));
    }
    const bool metrics = request.rfind("GET /metrics ", 0) == 0 || request.rfind("GET /metrics?", 0) == 0;
    std::string body = metrics ? exposition() : "not found\n";
    std::string head = metrics ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                               : "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    send_all(conn.get(), head + body);
  }
}

}  // namespace chatd::loadgen
