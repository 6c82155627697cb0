// chatd's own figures at a step's end, read from its Prometheus endpoint with a
// plain HTTP/1.0 GET over a socket (bounded in time and size).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace chatd::loadgen {

struct ServerSample {
  std::optional<double> rss_bytes;    // process_resident_memory_bytes
  std::optional<double> cpu_seconds;  // process_cpu_seconds_total
  std::optional<std::string> version;  // chatd_build_info{version=..}
  std::optional<std::string> backend;  // chatd_build_info{backend=..}
};

// Pure: reads the families above out of Prometheus text exposition.
ServerSample parse_server_sample(std::string_view exposition);

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path = "/";
};
Result<HttpUrl> parse_http_url(std::string_view url);

// GET url; the body of a 200 answer. Gives up after `timeout` or 4 MiB.
Result<std::string> http_get(const HttpUrl& url, Nanos timeout);

}  // namespace chatd::loadgen
