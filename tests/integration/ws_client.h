// A WebSocket client for live sessions (GET /api/v1/sessions) in tests and benchmarks:
// Boost.Beast on one io_context of its own, every wait bounded (a test never hangs).
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace codecanvas::testing {

class WsClient {
  using json = nlohmann::json;

  using milliseconds = std::chrono::milliseconds;

 public:
  // Connects and upgrades; on a refusal, `refused` holds the HTTP status.
  // `receive_buffer`: SO_RCVBUF in bytes (0: the kernel's autotuning).
  bool connect(int port, int receive_buffer = 0, const std::string& target = "/api/v1/sessions") {
    try {
      auto& sock = boost::beast::get_lowest_layer(ws_).socket();
      sock.open(boost::asio::ip::tcp::v4());
      if (receive_buffer > 0)
        sock.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
      sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
      boost::beast::websocket::response_type res;
      boost::beast::error_code ec;
      bool done = false;
      ws_.async_handshake(res, "127.0.0.1", target, [&](boost::beast::error_code e) {
        ec = e;
        done = true;
      });
      io_.run_for(std::chrono::seconds(10));
      io_.restart();
      if (!done || ec) {
        refused = res.result_int();
        refusal_body = res.body();
        return false;
      }
      boost::beast::get_lowest_layer(ws_).expires_never();
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  // False when the write did not complete (write_failed is then set).
  bool send(const json& j) { return sendText(j.dump()); }
  bool sendText(const std::string& text) {
    ws_.text(true);
    bool done = false;
    ws_.async_write(boost::asio::buffer(text),
                    [&](boost::beast::error_code, size_t) { done = true; });
    io_.run_for(std::chrono::seconds(10));
    io_.restart();
    if (!done) write_failed = true;
    return done;
  }
  void sendBinary(const std::string& bytes) {
    ws_.binary(true);
    bool done = false;
    ws_.async_write(boost::asio::buffer(bytes),
                    [&](boost::beast::error_code, size_t) { done = true; });
    io_.run_for(std::chrono::seconds(10));
    io_.restart();
  }

  // The next message; nullopt when the server closed (close_reason set) or `timeout`
  // passed (timed_out set; the connection is then unusable).
  std::optional<json> read(milliseconds timeout = std::chrono::seconds(30)) {
    if (closed) return std::nullopt;
    boost::beast::flat_buffer buffer;
    boost::beast::error_code ec;
    bool done = false;
    ws_.async_read(buffer, [&](boost::beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    io_.run_for(timeout);
    if (!done) {
      timed_out = true;
      boost::beast::get_lowest_layer(ws_).close();
      io_.run_for(std::chrono::seconds(1));
    }
    io_.restart();
    if (!done || ec) {
      closed = true;
      if (ec == boost::beast::websocket::error::closed) {
        close_code = static_cast<boost::beast::websocket::close_code>(ws_.reason().code);
        close_text = std::string(ws_.reason().reason.c_str());
      }
      return std::nullopt;
    }
    return json::parse(boost::beast::buffers_to_string(buffer.data()), nullptr, false);
  }

  // Reads until `pred` holds for a message (returned) or the session ends (nullopt);
  // every message read is appended to `transcript`.
  template <typename Pred>
  std::optional<json> readUntil(Pred pred, milliseconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= milliseconds(0)) return std::nullopt;
      auto m = read(left);
      if (!m) return std::nullopt;
      transcript.push_back(*m);
      if (m->is_object() && (*m)["type"] == "data")
        output[(*m)["stream"].get<std::string>()] += (*m)["data"].get<std::string>();
      if (pred(*m)) return m;
    }
  }

  // Reads until stdout holds `text`.
  bool awaitStdout(const std::string& text, milliseconds timeout = std::chrono::seconds(60)) {
    if (output["stdout"].find(text) != std::string::npos) return true;
    return readUntil([&](const json&) { return output["stdout"].find(text) != std::string::npos; },
                     timeout)
        .has_value();
  }

  std::optional<json> awaitEnd(milliseconds timeout = std::chrono::seconds(90)) {
    return readUntil([](const json& m) { return m["type"] == "result" || m["type"] == "error"; },
                     timeout);
  }

  bool stdin(const std::string& data) {
    return send({{"type", "data"}, {"stream", "stdin"}, {"data", data}});
  }

  // Drops the TCP connection without a close handshake.
  void drop() { boost::beast::get_lowest_layer(ws_).socket().close(); }

  std::string dump() const {
    std::string s;
    for (const auto& m : transcript) s += m.dump() + "\n";
    return s;
  }

  int refused = 0;
  std::string refusal_body;
  bool closed = false, timed_out = false, write_failed = false;
  boost::beast::websocket::close_code close_code = boost::beast::websocket::close_code::none;
  std::string close_text;
  std::vector<json> transcript;
  std::map<std::string, std::string> output;

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_{io_};
  // The result repeats the run's output (up to 16 MiB) beside its figures.
  bool sized_ = [this] {
    ws_.read_message_max(64 << 20);
    return true;
  }();
};

}  // namespace codecanvas::testing
