#include "static_site.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace codecanvas::http {

namespace fs = std::filesystem;

namespace {

std::string extensionOf(const std::string& path) {
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return path.substr(dot + 1);
}

// FNV-1a over the content: an ETag only has to change when the bytes do.
std::string etagOf(const std::string& body) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%016llx-%zx\"", static_cast<unsigned long long>(h),
                body.size());
  return buf;
}

// If-None-Match holds "*" or a comma-separated list of tags, weak ones prefixed with W/
// (a weak match is enough for GET, RFC 9110 13.1.2).
bool matchesEtag(const std::string& header, const std::string& etag) {
  std::stringstream list(header);
  std::string item;
  while (std::getline(list, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    std::string tag = item.substr(b, e - b + 1);
    if (tag == "*") return true;
    if (tag.rfind("W/", 0) == 0) tag = tag.substr(2);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace

std::string StaticSite::contentTypeFor(const std::string& path) {
  static const std::map<std::string, std::string> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
  };
  const auto it = kTypes.find(extensionOf(path));
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

bool StaticSite::isContentHashed(const std::string& path) {
  // The bundler names assets NAME-HASH.EXT, HASH being 8 or more of [A-Z0-9].
  const std::string name = path.substr(path.rfind('/') + 1);
  const auto dot = name.rfind('.');
  const auto dash = name.rfind('-', dot);
  if (dot == std::string::npos || dash == std::string::npos || dot - dash - 1 < 8) return false;
  for (size_t i = dash + 1; i < dot; ++i)
    if (!std::isupper(static_cast<unsigned char>(name[i])) &&
        !std::isdigit(static_cast<unsigned char>(name[i])))
      return false;
  return true;
}

void StaticSite::add(const std::string& url_path, std::string body) {
  StaticFile f;
  f.content_type = contentTypeFor(url_path);
  f.etag = etagOf(body);
  f.cache_control = isContentHashed(url_path) ? "public, max-age=31536000, immutable" : "no-cache";
  f.body = std::move(body);
  files_[url_path] = std::move(f);
}

Result<StaticSite> StaticSite::load(const std::string& dir, uint64_t max_bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Error{
        "the web page is not built: " + dir + " is not a directory (scripts/setup.sh builds it)",
        ENOENT};
  StaticSite site;
  uint64_t total = 0;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return Error{"cannot read " + dir + ": " + ec.message(), ec.value()};
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    // Links are not followed: the site is what the directory itself holds.
    if (it->is_symlink() || !it->is_regular_file()) continue;
    total += it->file_size();
    if (total > max_bytes)
      return Error{
          dir + " holds more than " + std::to_string(max_bytes) + " bytes; that is not a web page",
          EFBIG};
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    if (!in.good() && !in.eof()) return Error{"cannot read " + it->path().string(), EIO};
    site.add("/" + fs::relative(it->path(), root).generic_string(), body.str());
  }
  if (ec) return Error{"cannot read " + dir + ": " + ec.message(), ec.value()};
  if (!site.has("/index.html")) return Error{dir + " has no index.html", ENOENT};
  return site;
}

StaticSite StaticSite::fromFiles(const std::map<std::string, std::string>& files) {
  StaticSite site;
  for (const auto& [path, body] : files) site.add(path, body);
  return site;
}

bool StaticSite::has(const std::string& path) const {
  return files_.count(path) != 0;
}

std::optional<HttpResponse> StaticSite::serve(const HttpRequest& request) const {
  const std::string path = request.path == "/" ? "/index.html" : request.path;
  const auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  const StaticFile& f = it->second;
  HttpResponse r;
  r.content_type = f.content_type;
  r.headers = {
      {"ETag", f.etag}, {"Cache-Control", f.cache_control}, {"X-Content-Type-Options", "nosniff"}};
  if (f.content_type.rfind("text/html", 0) == 0) {
    // The page loads only its own files and talks only to its own server. CodeMirror
    // styles itself through <style> elements, hence 'unsafe-inline' for styles alone.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  const auto inm = request.headers.find("if-none-match");
  if (inm != request.headers.end() && matchesEtag(inm->second, f.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.body = f.body;
  return r;
}

}  // namespace codecanvas::http
