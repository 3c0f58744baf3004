// The web page's files (web/dist: index.html and content-hashed assets), read into memory
// at start-up and served by Api::handle for GET and HEAD: correct content types, an ETag
// on every file (If-None-Match answers 304), "no-cache" on the page so a new build shows
// at once, and a year of caching for assets whose names carry their content hash.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "api_types.h"
#include "result.h"

namespace codecanvas::http {

struct StaticFile {
  std::string body;
  std::string content_type;
  std::string etag;  // quoted, strong
  std::string cache_control;
};

class StaticSite {
 public:
  // Every regular file under `dir` (hidden ones left out), at most `max_bytes` in all.
  static Result<StaticSite> load(const std::string& dir, uint64_t max_bytes = 64ULL << 20);
  // From file contents keyed by URL path ("/index.html"), for tests.
  static StaticSite fromFiles(const std::map<std::string, std::string>& files);

  // The answer for a GET or HEAD of `request.path`, or nullopt when there is no such file.
  // "/" is "/index.html".
  std::optional<HttpResponse> serve(const HttpRequest& request) const;
  bool has(const std::string& path) const;
  size_t size() const { return files_.size(); }

  static std::string contentTypeFor(const std::string& path);
  // True for names like "app-MPBMGTZL.js" that change whenever their content does.
  static bool isContentHashed(const std::string& path);

 private:
  void add(const std::string& url_path, std::string body);
  std::map<std::string, StaticFile> files_;
};

}  // namespace codecanvas::http
