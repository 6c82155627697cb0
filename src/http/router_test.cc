// route/serve/refuse and the embedded page: each path reaches the right answer, the
// responses carry the headers a browser and a keep-alive client rely on (Content-Type,
// Content-Length, CSP, ETag/304, Connection), every embedded file resolves with the
// content type of its extension, and the page references nothing it does not serve.
#include "http/router.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <string_view>

#include "http/response.h"
#include "http/static_assets.h"

namespace chatd::http {
namespace {

// A response split into status, headers (names lower-cased) and body; checks
// Content-Length against the body.
struct Parsed {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

Parsed parse_response(const std::string& bytes) {
  Parsed p;
  const std::size_t end = bytes.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << bytes;
  EXPECT_EQ(bytes.substr(0, 9), "HTTP/1.1 ");
  p.status = std::stoi(bytes.substr(9, 3));
  std::size_t pos = bytes.find("\r\n") + 2;
  while (pos < end) {
    const std::size_t eol = bytes.find("\r\n", pos);
    const std::string line = bytes.substr(pos, eol - pos);
    const std::size_t colon = line.find(": ");
    std::string name = line.substr(0, colon);
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_FALSE(p.headers.count(name)) << "header twice: " << name;
    p.headers[name] = line.substr(colon + 2);
    pos = eol + 2;
  }
  p.body = bytes.substr(end + 4);
  if (p.headers.count("content-length")) {
    EXPECT_EQ(std::stoul(p.headers["content-length"]), p.body.size());
  }
  return p;
}

RequestHead head_for(std::string_view path, bool keep_alive = true) {
  RequestHead h;
  h.target = h.path = path;
  h.host = "localhost";
  h.keep_alive = keep_alive;
  return h;
}

Reply serve_path(std::string_view path, bool keep_alive = true) {
  const RequestHead h = head_for(path, keep_alive);
  return serve(h, route(h));
}

TEST(Router, RoutesEachPath) {
  EXPECT_EQ(route(head_for("/")).kind, RouteKind::asset);
  EXPECT_EQ(route(head_for("/")).asset, static_asset("/index.html"));
  EXPECT_EQ(route(head_for("/app.js")).kind, RouteKind::asset);
  EXPECT_EQ(route(head_for("/healthz")).kind, RouteKind::healthz);
  EXPECT_EQ(route(head_for("/ws")).kind, RouteKind::upgrade_required);
  RequestHead upgrade = head_for("/ws");
  upgrade.upgrade_websocket = true;
  EXPECT_EQ(route(upgrade).kind, RouteKind::websocket);
  EXPECT_EQ(route(head_for("/nope")).kind, RouteKind::not_found);
  EXPECT_EQ(route(head_for("/healthz/")).kind, RouteKind::not_found);
  EXPECT_EQ(route(head_for("/index.html/")).kind, RouteKind::not_found);
}

TEST(Router, HealthzSaysOk) {
  const Reply r = serve_path("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.close_after);
  const Parsed p = parse_response(r.bytes);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, "ok\n");
  EXPECT_EQ(p.headers.at("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(p.headers.at("cache-control"), "no-store");
  EXPECT_EQ(p.headers.at("connection"), "keep-alive");
}

TEST(Router, UnknownPathIs404AndKeepsTheConnection) {
  const Reply r = serve_path("/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.close_after);
  const Parsed p = parse_response(r.bytes);
  EXPECT_EQ(p.status, 404);
  EXPECT_EQ(p.headers.at("connection"), "keep-alive");
}

TEST(Router, WithoutKeepAliveTheReplyCloses) {
  const Reply r = serve_path("/healthz", false);
  EXPECT_TRUE(r.close_after);
  EXPECT_EQ(parse_response(r.bytes).headers.at("connection"), "close");
}

TEST(Router, WsWithoutUpgradeIs426NamingWebSocket) {
  const Reply r = serve_path("/ws");
  EXPECT_EQ(r.status, 426);
  const Parsed p = parse_response(r.bytes);
  EXPECT_EQ(p.status, 426);
  EXPECT_EQ(p.headers.at("upgrade"), "websocket");
}

TEST(Router, ThePageCarriesCspAndAValidator) {
  const Reply r = serve_path("/");
  EXPECT_EQ(r.status, 200);
  const Parsed p = parse_response(r.bytes);
  EXPECT_EQ(p.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(p.headers.at("content-security-policy"), kPageCsp);
  EXPECT_NE(p.headers.at("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(p.headers.at("cache-control"), "no-cache");
  EXPECT_EQ(p.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(p.headers.at("etag"), static_asset("/")->etag);
  EXPECT_EQ(p.body, static_asset("/")->body);
}

TEST(Router, AMatchingIfNoneMatchGets304WithoutBody) {
  RequestHead h = head_for("/app.js");
  const std::string etag(static_asset("/app.js")->etag);
  for (const std::string& inm : {etag, "\"other\", " + etag, "W/" + etag, std::string("*")}) {
    SCOPED_TRACE(inm);
    h.if_none_match = inm;
    const Reply r = serve(h, route(h));
    EXPECT_EQ(r.status, 304);
    const Parsed p = parse_response(r.bytes);
    EXPECT_EQ(p.status, 304);
    EXPECT_TRUE(p.body.empty());
    EXPECT_FALSE(p.headers.count("content-length"));
    EXPECT_EQ(p.headers.at("etag"), etag);
  }
  h.if_none_match = "\"stale\"";
  EXPECT_EQ(serve(h, route(h)).status, 200);
}

TEST(Router, RefusalsCloseAndSayWhy) {
  RequestHeadParser parser;
  const Reply bad = refuse(parser.parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.close_after);
  Parsed p = parse_response(bad.bytes);
  EXPECT_EQ(p.status, 400);
  EXPECT_EQ(p.headers.at("connection"), "close");
  EXPECT_NE(p.body.find("body"), std::string::npos) << p.body;

  const Reply post = refuse(parser.parse("POST / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(post.status, 405);
  p = parse_response(post.bytes);
  EXPECT_EQ(p.headers.at("allow"), "GET");

  const Reply version = refuse(parser.parse("GET / HTTP/3.0\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(parse_response(version.bytes).status, 505);
}

// ---- the embedded page ----

std::string_view extension(std::string_view path) { return path.substr(path.rfind('.')); }

TEST(StaticAssets, EveryFileResolvesWithItsContentType) {
  const std::map<std::string_view, std::string_view> types = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
  };
  ASSERT_GE(embedded_assets().size(), 3u);
  for (const StaticAsset& a : embedded_assets()) {
    SCOPED_TRACE(std::string(a.path));
    const StaticAsset* found = static_asset(a.path);
    ASSERT_EQ(found, &a);
    EXPECT_FALSE(a.body.empty());
    EXPECT_EQ(a.etag.size(), 18u);  // 16 hex digits, quoted
    EXPECT_EQ(a.etag.front(), '"');
    if (types.count(extension(a.path))) {
      EXPECT_EQ(a.content_type, types.at(extension(a.path)));
    }
    const Parsed p = parse_response(serve_path(a.path).bytes);
    EXPECT_EQ(p.headers.at("content-type"), a.content_type);
    EXPECT_EQ(p.body, a.body);
  }
  for (const char* path : {"/", "/index.html", "/app.js", "/app.css", "/chat_state.js", "/connection.js"}) {
    EXPECT_NE(static_asset(path), nullptr) << path;
  }
  EXPECT_EQ(static_asset("/"), static_asset("/index.html"));
  EXPECT_EQ(static_asset("/nope.js"), nullptr);
}

TEST(StaticAssets, ThePageLoadsNothingItDoesNotServe) {
  // Works offline under the CSP: every src/href in the HTML and every module a script
  // imports is one of our own paths (data: URLs aside), and no file names another host.
  const std::regex html_ref(R"re((?:src|href)="([^"]*)")re");
  const std::regex js_import(R"re((?:import|from)\s*'(\./[^']*)')re");
  int refs = 0;
  for (const StaticAsset& a : embedded_assets()) {
    SCOPED_TRACE(std::string(a.path));
    const std::string body(a.body);
    const bool html = a.path.ends_with(".html");
    const bool js = a.path.ends_with(".js");
    if (!html && !js) continue;
    for (auto it = std::sregex_iterator(body.begin(), body.end(), html ? html_ref : js_import);
         it != std::sregex_iterator(); ++it) {
      std::string target = (*it)[1];
      if (target.starts_with("data:")) continue;
      if (target.starts_with("./")) target.erase(0, 1);  // modules sit next to each other at /
      EXPECT_NE(static_asset(target), nullptr) << a.path << " references " << target;
      ++refs;
    }
    EXPECT_EQ(body.find("http://"), std::string::npos);
    EXPECT_EQ(body.find("https://"), std::string::npos);
  }
  EXPECT_GE(refs, 4);  // the script, the style sheet, and the modules app.js imports
}

}  // namespace
}  // namespace chatd::http
