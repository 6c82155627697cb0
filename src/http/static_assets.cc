#include "http/static_assets.h"

namespace chatd::http {

const StaticAsset* static_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const StaticAsset& asset : embedded_assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace chatd::http
