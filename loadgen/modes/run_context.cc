#include "loadgen/modes/run_context.h"

#include <arpa/inet.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "loadgen/modes/live_metrics.h"
#include "loadgen/plan/room_plan.h"
#include "loadgen/results/results_dir.h"
#include "loadgen/results/system_info.h"
#include "loadgen/results/text_report.h"
#include "loadgen/wire/requests.h"
#include "reactor/backend.h"

namespace chatd::loadgen {
namespace {

constexpr uint64_t kFdReserve = 64;  // results files, scrapes, eventfds, rings
constexpr Nanos kScrapeTimeout = 2 * kSeconds;

uint32_t usable_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

sockaddr_in socket_address(const Endpoint& e) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(e.port);
  inet_pton(AF_INET, e.host.c_str(), &sa.sin_addr);
  return sa;
}

// Connects once to `e`, retrying refusals until `deadline`: 0, or the last errno.
int try_connect(const Endpoint& e, Nanos deadline) {
  const sockaddr_in sa = socket_address(e);
  int last_error = ETIMEDOUT;
  while (monotonic_now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    // A blocking connect bounded by SO_SNDTIMEO: what is left of --connect-timeout.
    const Nanos left = std::max<Nanos>(deadline - monotonic_now(), kMillis);
    timeval tv{time_t(left / kSeconds), suseconds_t((left % kSeconds) / 1000)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    last_error = rc == 0 ? 0 : errno;
    ::close(fd);
    if (rc == 0) return 0;
    if (last_error != ECONNREFUSED && last_error != EINTR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a server still starting up
  }
  return last_error == EINPROGRESS || last_error == EAGAIN ? ETIMEDOUT : last_error;
}


// Raises the fd limit to its hard limit; warns when the run plans more clients
// than it leaves room for.
void warn_if_over_fd_limit(RunContext& ctx, uint64_t planned_clients) {
  RunInfo& info = ctx.report.info;
  info.fd_limit = raise_fd_limit();
  const uint64_t budget = info.fd_limit > kFdReserve ? info.fd_limit - kFdReserve : 0;
  if (planned_clients <= budget) return;
  const std::string msg = "open-file limit capped at " + std::to_string(info.fd_limit) +
                          " (the hard limit): at most about " + std::to_string(budget) +
                          " clients per loadgen process, this run plans " + std::to_string(planned_clients) +
                          "; raise the hard limit or run several loadgen processes";
  ctx.console.warn(msg);
  ctx.report.warnings.push_back(msg);
}

EngineConfig engine_config(const Options& options, reactor::Backend backend, const std::string& run,
                           uint32_t rooms) {
  EngineConfig config;
  config.target = options.target;
  // Redis's PUBLISH replies and NATS's verbose mode are the peers' only
  // per-message answers: asked for only where the closed loop needs a whisper's
  // acknowledgement (see resp_wire.h, nats_wire.h).
  config.wire.whisper_acks = options.mode == Mode::interactive || (options.whisper && options.rate == 0);
  for (const Endpoint& e : options.servers()) config.servers.push_back({socket_address(e), e.name()});
  config.wire.websocket = options.websocket;
  config.wire.auth_secret = options.auth_secret;
  config.source_ips = options.source_ips;
  config.backend = backend;
  config.threads = options.threads ? options.threads : usable_cpus();
  config.connect_timeout = options.connect_timeout;
  config.window = options.window;
  config.publishers = options.publishers;
  config.plan = RoomPlan(run, rooms, options.seed, options.room_prefix);
  config.filler = filler_text(options.size, options.seed);
  return config;
}

// The run's description in summary.json: what was asked, where, and on what.
void describe_run(RunContext& ctx, const std::string& mode, const std::string& run, uint32_t rooms,
                  int64_t started_ms, const std::string& command_line) {
  const Options& options = ctx.options;
  RunInfo& info = ctx.report.info;
  info.command_line = command_line;
  info.loadgen_version = kLoadgenVersion;
  info.mode = mode;
  info.run_token = run;
  info.out_dir = ctx.out_dir;
  info.started_utc = utc_iso8601(started_ms);
  info.reactor_backend = ctx.engine->backend_name();
  info.threads = ctx.engine->threads();
  info.ramp = options.ramp;
  info.msgs = options.msgs;
  info.steps = options.effective_steps();
  info.max_clients = options.max_clients;
  info.rooms = rooms;
  info.traffic = options.whisper ? "whisper" : "room";
  info.room_prefix = ctx.engine->plan().room_name(0);
  info.room_prefix.pop_back();  // "<prefix>0" → "<prefix>"
  info.server.target = std::string(target_name(options.target));
  info.server.address = options.servers_text();
  for (const Endpoint& e : options.servers()) info.server.nodes.push_back({e.name(), 0});
  info.server.transport = options.websocket ? "websocket" : "tcp";
  info.server.auth = !options.auth_secret.empty();
  info.size = options.size;
  info.window = options.window;
  info.seed = options.seed;
  info.rate = options.rate;
  info.publishers = options.publishers;
  info.step_timeout_s = double(options.step_timeout) / 1e9;
  if (options.slo_p99) info.slo_p99_ms = double(*options.slo_p99) / 1e6;
  info.metrics_url = options.metrics_url;
  info.machine = read_machine_info();
}

void record_rooms(RunReport& report, const RoomPlan& plan, const Harvest& h) {
  if (plan.rooms() > kMaxRoomsReported) return;
  if (report.rooms.empty()) {
    report.rooms.resize(plan.rooms());
    for (uint32_t r = 0; r < plan.rooms(); ++r) report.rooms[r].name = plan.room_name(r);
  }
  for (uint32_t r = 0; r < plan.rooms(); ++r) {
    if (r < h.room_messages.size()) report.rooms[r].messages += h.room_messages[r];
    if (r < h.room_members.size()) report.rooms[r].members = h.room_members[r];
  }
}

// --hosts: how many of the clients spawned so far were sent to each node.
void count_node_clients(ServerInfo& server, const RoomPlan& plan, uint32_t spawned) {
  for (NodeShare& n : server.nodes) n.clients = 0;
  const auto nodes = uint32_t(server.nodes.size());
  for (uint32_t client = 0; client < spawned; ++client) ++server.nodes[plan.node_of(client, nodes)].clients;
}

// The step's traffic window on the wall clock: the monotonic times the ledger
// keeps, shifted by the two clocks' difference now (read back to back).
void stamp_traffic_window(StepReport& r) {
  const Nanos wall_minus_monotonic = wall_clock_micros() * 1000 - monotonic_now();
  auto unix_ms = [&](Nanos t) -> std::optional<int64_t> {
    if (t == 0) return std::nullopt;
    return (t + wall_minus_monotonic) / kMillis;
  };
  r.first_send_unix_ms = unix_ms(r.tally.first_send);
  r.last_intended_send_unix_ms = unix_ms(r.tally.last_intended_send);
  r.last_delivery_unix_ms = unix_ms(r.tally.last_delivery);
}

void scrape_server(RunContext& ctx, StepReport& step) {
  if (!ctx.metrics_url) return;
  auto body = http_get(*ctx.metrics_url, kScrapeTimeout);
  if (!body) {
    if (!ctx.metrics_warned) {
      ctx.console.warn("--metrics-url: " + body.error().message + "; server RSS and CPU are recorded as null");
      ctx.report.warnings.push_back("metrics scrape failed: " + body.error().message);
      ctx.metrics_warned = true;
    }
    return;
  }
  ServerSample sample = parse_server_sample(*body);
  step.server_rss_bytes = sample.rss_bytes;
  step.server_cpu_seconds = sample.cpu_seconds;
  if (sample.version) ctx.report.info.server.version = sample.version;
  if (sample.backend) ctx.report.info.server.backend = sample.backend;
}

// This step's new clients, with a progress bar. False: interrupted.
bool connect_clients(RunContext& ctx, const std::string& label, uint32_t count) {
  const uint64_t settled_before = ctx.engine->progress().settled;
  auto shown = [&](const EngineProgress& p) {
    ctx.console.progress(label + " connecting", p.settled - settled_before, count,
                         std::to_string(p.connected) + " joined");
  };
  return !ctx.engine->connect(count, shown, ctx.interrupted).interrupted;
}

// --settle: the pause between a step's connects and its traffic. False: interrupted.
bool settle(RunContext& ctx) {
  const Nanos until = monotonic_now() + ctx.options.settle;
  while (monotonic_now() < until) {
    if (ctx.interrupted.load(std::memory_order_relaxed)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return !ctx.interrupted.load(std::memory_order_relaxed);
}

TrafficOutcome send_traffic(RunContext& ctx, const std::string& label, const TrafficSpec& spec, Nanos timeout) {
  auto shown = [&](const EngineProgress& p) {
    ctx.console.progress(label + " sending", p.received, std::max(p.expected, p.received),
                         "deliveries, " + std::to_string(p.sent) + " sent");
  };
  return ctx.engine->run_traffic(spec, timeout, shown, ctx.interrupted);
}

// The step's figures from the workers' merged harvest.
void fill_step_report(StepReport& r, Harvest& h, bool had_traffic, const TrafficOutcome& traffic) {
  r.new_clients = h.new_clients;
  r.connect_failures = h.connect_failures;
  r.connect = summarize(h.connect);
  r.tally = std::move(h.tally);
  r.timed_out = had_traffic && !traffic.completed;
  if (r.tally.first_send != 0) {
    // A complete step lasted until its last delivery; a timed-out one until we gave up.
    const Nanos end = traffic.completed ? std::max(r.tally.last_delivery, r.tally.first_send) : traffic.ended;
    r.traffic_seconds = double(end - r.tally.first_send) / 1e9;
  }
  stamp_traffic_window(r);
  finish_step_report(r, h.latency);
}

// Adds the step to the run: the server's figures, the rooms, the live line, the
// report, the live metrics and the results folder.
void record_step(RunContext& ctx, StepReport& r, Harvest&& h) {
  scrape_server(ctx, r);
  r.end_unix_ms = unix_millis();
  if (auto shards = ctx.engine->server_shards()) ctx.report.info.server.shards = shards;
  if (auto version = ctx.engine->server_version()) ctx.report.info.server.version = version;
  record_rooms(ctx.report, ctx.engine->plan(), h);
  count_node_clients(ctx.report.info.server, ctx.engine->plan(), ctx.engine->spawned());
  ctx.console.line(step_line(r));
  ctx.report.add_step(r, std::move(h.latency));
  if (ctx.live_metrics) ctx.live_metrics->publish_latency(ctx.report.total_latency);
  save_results(ctx);
}

}  // namespace

RunContext::RunContext(const Options& o, const std::atomic<bool>& stop)
    : options(o), console(o.progress), interrupted(stop) {}
RunContext::~RunContext() = default;

Result<void> check_reachable(const Options& o) {
  const Nanos deadline = monotonic_now() + o.connect_timeout;
  for (const Endpoint& e : o.servers()) {
    const int err = try_connect(e, deadline);
    if (err == 0) continue;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", double(o.connect_timeout) / 1e9);
    const std::string server(target_name(o.target));
    return Error{"cannot connect to " + server + " at " + e.name() + ": " + std::strerror(err) + " (tried for " +
                 secs + " s; is " + server + " running there? see --target, --host, --port, --hosts, " +
                 "--connect-timeout)"};
  }
  return {};
}

Result<std::unique_ptr<RunContext>> prepare_run(const Options& options, const std::string& mode,
                                                uint64_t planned_clients, uint32_t rooms,
                                                const std::atomic<bool>& interrupted,
                                                const std::string& command_line) {
  auto ctx = std::make_unique<RunContext>(options, interrupted);
  const int64_t started_ms = unix_millis();
  warn_if_over_fd_limit(*ctx, planned_clients);

  // Once per run, so every worker's reactor is of one kind (auto: io_uring, else
  // epoll, with a warning saying why).
  auto backend = reactor::choose_backend(options.backend);
  if (!backend)
    return Error{"--backend " + std::string(backend_flag_value(options.backend)) + ": " + backend.error().message};
  if (!options.metrics_url.empty()) {
    auto url = parse_http_url(options.metrics_url);
    if (!url) return Error{"--metrics-url: " + url.error().message};
    ctx->metrics_url = *url;
  }

  const std::string run = make_run_token(options.seed, uint64_t(wall_clock_micros()) ^ uint64_t(getpid()) << 40);
  auto engine = Engine::start(engine_config(options, *backend, run, rooms));
  if (!engine) return engine.error();
  ctx->engine = std::move(*engine);

  ctx->out_dir = options.out_dir.empty() ? default_out_dir(mode, started_ms / 1000) : options.out_dir;
  if (auto r = make_dirs(ctx->out_dir); !r) return r.error();
  describe_run(*ctx, mode, run, rooms, started_ms, command_line);

  if (options.metrics_port) {
    auto live = LiveMetricsServer::start(*options.metrics_port, *ctx);
    if (!live) return Error{"--metrics-port: " + live.error().message};
    ctx->live_metrics = std::move(*live);
  }
  return ctx;
}

std::optional<StepReport> run_step(RunContext& ctx, StepPlan plan) {
  const uint32_t step = ctx.next_step;
  const std::string label = "step " + std::to_string(step);
  if (ctx.live_metrics) ctx.live_metrics->set_step(step);
  if (plan.connect > 0 && !connect_clients(ctx, label, plan.connect)) return std::nullopt;
  if (plan.connect > 0 && plan.traffic && !settle(ctx)) return std::nullopt;

  StepReport r;
  r.step = step;
  r.clients = ctx.engine->progress().connected;
  r.publishers = ctx.engine->progress().connected_publishers;
  TrafficOutcome traffic;
  if (plan.traffic) {
    plan.traffic->step = step;
    traffic = send_traffic(ctx, label, *plan.traffic, plan.timeout);
    if (traffic.interrupted) return std::nullopt;
  }
  ctx.console.clear_progress();

  Harvest h = ctx.engine->harvest(step + 1);
  ++ctx.next_step;
  fill_step_report(r, h, plan.traffic.has_value(), traffic);
  record_step(ctx, r, std::move(h));
  return r;
}

void save_results(RunContext& ctx) {
  ctx.report.info.finished_utc = utc_iso8601(unix_millis());
  if (auto w = write_results(ctx.out_dir, ctx.report); !w && !ctx.save_warned) {
    ctx.console.warn("results not saved: " + w.error().message);
    ctx.save_warned = true;
  }
}

void print_final(RunContext& ctx) {
  ctx.console.clear_progress();
  const ServerInfo& server = ctx.report.info.server;
  const std::string target = "target: " + server.target + (server.version ? " " + *server.version : "") + " at " +
                             server.address + (server.transport == "websocket" ? " over WebSocket" : "") + ", " +
                             ctx.report.info.traffic + " traffic\n";
  std::string out = steps_table(ctx.report) + run_conclusion(ctx.report) + target + "results: " + ctx.out_dir + "/\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace chatd::loadgen
