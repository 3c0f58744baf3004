// One live session: GET /api/v1/sessions upgraded to a WebSocket (docs/api.md, "Live
// sessions"), from the handshake to the close. Server side; every step runs in the
// connection's strand, the job on the slot pool's thread (they meet through LiveChannel).
//
//   client                                  server
//   {"language", "source", ...}   ──────▶   the job is planned and queued (503-like
//                                            "busy" error and close 1013 when it cannot)
//                                 ◀──────   {"type":"stage","stage":"compile"|"run"}
//   {"type":"data","stream":"stdin",...} ▶   written to the program's stdin pipe
//   {"type":"eof"} / {"type":"kill"}  ──▶   stdin closed / the run killed
//                                 ◀──────   {"type":"data","stream":"stdout"|"stderr",...}
//                                 ◀──────   {"type":"result","result":{...}} then close 1000
//
// In Piston's dialect (GET /api/v2/connect) the same session speaks Piston's messages:
// "init" first (its execute's JSON), then "runtime", "stage", "data" (the compiler's output
// too) and an "exit" per stage, close 4999; "signal" kills; its errors close with 4000-4005.
//
// Bounds: a client message is at most kMaxMessageBytes; stdin not yet taken by the program
// is at most kMaxPendingStdin (beyond it the socket is not read, so the client's sends
// block); the program's output waits in its pipe while a chunk is with the client
// (LiveIo's backpressure); a session with no client message and no write reaching the
// client for the idle time ends (the run is killed); closing the socket cancels the job,
// which frees the slot at once.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http_session.h"
#include "unique_fd.h"

namespace codecanvas::http {

namespace live {
constexpr size_t kMaxMessageBytes = 1 << 20;
constexpr size_t kMaxPendingStdin = 1 << 20;
constexpr auto kHandshake = std::chrono::seconds(10);
constexpr auto kClose = std::chrono::seconds(5);
}  // namespace live

class LiveSession : public Connection, public std::enable_shared_from_this<LiveSession> {
 public:
  using Upgrade = boost::beast::http::request<boost::beast::http::empty_body>;
  // The caller has counted this session in ctx.live_sessions; the destructor uncounts it.
  LiveSession(boost::asio::ip::tcp::socket socket, SessionContext& ctx, std::string remote,
              Admission admission, SessionDialect dialect = SessionDialect::kNative);
  ~LiveSession() override;

  // Any thread: answers the upgrade, then serves the session.
  void start(Upgrade upgrade);
  // Any thread (server shutdown): the run is killed and the client told why.
  void stop() override;

  // Called by the session's LiveChannel, in the strand.
  void onStarted(UniqueFd stdin_write, std::function<void()> kill);
  void onOutput(int stream, std::string chunk, std::function<void()> more);
  // `compile`: the compile's result, with "compiled".
  void onStage(const char* event, std::optional<sandbox::RunResult> compile);
  void onOutcome(jobs::JobOutcome outcome);

 private:
  enum class State { kHandshake, kAwaitingStart, kRunning, kEnding, kClosed };
  struct Outgoing {
    std::string text;
    std::function<void()> after;  // once the client's socket took it
  };

  void onAccepted(boost::beast::error_code ec);
  void readMessage();
  void onMessage(boost::beast::error_code ec, size_t bytes);
  void startJob(const std::string& message);
  void onClientMessage(const std::string& message);
  void onPistonMessage(const std::string& message);
  // The job's input and kill, whatever the dialect.
  void queueStdin(std::string data);
  void killRun();
  // Sends a chunk of output as a data message (UTF-8 held back at a cut character).
  void sendData(int stream, const std::string& chunk, std::function<void()> more = {});
  void send(std::string text, std::function<void()> after = {});
  void writeNext();
  // Sends {"type":"error"} and closes with `code`; the job, if any, is cancelled.
  void fail(const std::string& code, const std::string& message,
            boost::beast::websocket::close_code close_code);
  void closeWith(boost::beast::websocket::close_reason reason);
  void writeStdin();
  void closeStdin();
  void touch();
  void armIdle();
  void cancelJob();
  // Ends the session at once: socket closed, job cancelled, log line written.
  void teardown();
  void log();
  // Gives back its place among the live sessions (once).
  void uncount();

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  SessionContext& ctx_;
  SessionRegistry::Entry entry_;
  bool registered_ = false;
  const std::string remote_;
  const Admission admission_;
  const SessionDialect dialect_;
  bool compile_stage_sent_ = false;
  State state_ = State::kHandshake;
  boost::beast::flat_buffer in_;
  bool reading_ = false, read_paused_ = false;
  std::deque<Outgoing> out_;
  bool writing_ = false;
  bool close_after_writes_ = false;
  boost::beast::websocket::close_reason close_reason_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point started_;
  std::optional<SessionStart> job_;
  std::shared_ptr<jobs::JobCancel> cancel_;
  std::function<void()> kill_;
  bool kill_requested_ = false;
  // The program's stdin: what the client sent and the program has not yet taken.
  boost::asio::posix::stream_descriptor stdin_pipe_;
  std::deque<std::string> stdin_queue_;
  size_t stdin_pending_ = 0;
  bool stdin_writing_ = false, stdin_eof_ = false, stdin_closed_ = false;
  std::string carry_[3];           // an incomplete UTF-8 sequence held back, per stream (1, 2)
  std::string language_, status_;  // for the log line
  int log_status_ = 101;
  bool logged_ = false, counted_ = false;
  bool counted_in_cap_ = true;  // the caller counted it in ctx.live_sessions
};

}  // namespace codecanvas::http
