// A small, bounds-checked binary encoding for the controller <-> keeper messages.
// Both ends are built from the same source, so the format only needs to be exact, not
// versioned: integers in host order, strings and blobs as a u32 length then bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace codecanvas::wire {

class Writer {
 public:
  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void put(T v) { append(&v, sizeof v); }
  void putBytes(const void* data, size_t size) {
    put(static_cast<uint32_t>(size));
    append(data, size);
  }
  void putString(std::string_view s) { putBytes(s.data(), s.size()); }
  void putStrings(const std::vector<std::string>& list) {
    put(static_cast<uint32_t>(list.size()));
    for (const auto& s : list) putString(s);
  }
  const std::vector<uint8_t>& bytes() const { return buf_; }

 private:
  // resize + memcpy rather than a range insert, which GCC 12 misreads as an overflow.
  void append(const void* data, size_t size) {
    if (size == 0) return;
    const size_t at = buf_.size();
    buf_.resize(at + size);
    std::memcpy(buf_.data() + at, data, size);
  }
  std::vector<uint8_t> buf_;
};

// Every getter returns false once the input is exhausted or malformed; after that the
// reader stays failed, so a decoder can check once at the end.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  bool get(T& v) {
    if (!ok_ || static_cast<size_t>(end_ - p_) < sizeof v) return ok_ = false;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return true;
  }
  bool getString(std::string& s, uint32_t max = 1u << 20) {
    uint32_t n = 0;
    if (!get(n) || n > max || static_cast<size_t>(end_ - p_) < n) return ok_ = false;
    s.assign(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool getBlob(std::vector<uint8_t>& b, uint32_t max = 1u << 20) {
    uint32_t n = 0;
    if (!get(n) || n > max || static_cast<size_t>(end_ - p_) < n) return ok_ = false;
    b.assign(p_, p_ + n);
    p_ += n;
    return true;
  }
  bool getStrings(std::vector<std::string>& list, uint32_t max_items = 4096) {
    uint32_t n = 0;
    if (!get(n) || n > max_items) return ok_ = false;
    list.resize(n);
    for (auto& s : list)
      if (!getString(s)) return false;
    return true;
  }
  bool ok() const { return ok_; }
  bool atEnd() const { return ok_ && p_ == end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace codecanvas::wire
