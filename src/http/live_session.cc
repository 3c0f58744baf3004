#include "live_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "piston_api.h"
#include "sandbox/live_io.h"
#include "server.h"

namespace codecanvas::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using nlohmann::json;
using tcp = net::ip::tcp;

namespace {

// A close code of Piston's range (4000-4999) with its sentence.
websocket::close_reason closeReason(uint16_t code, const char* text) {
  websocket::close_reason r(code);
  r.reason = text;
  return r;
}

bool offersCodecanvas(const std::string& header) {
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string::npos) end = header.size();
    std::string item = header.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item == "codecanvas") return true;
    start = end + 1;
  }
  return false;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The LiveIo of a session's run: the pool's thread posts into the session's strand; a
// session that is gone lets the program go on (its job is cancelled anyway).
class LiveChannel : public sandbox::LiveIo {
 public:
  LiveChannel(std::weak_ptr<LiveSession> session, net::any_io_executor strand)
      : session_(std::move(session)), strand_(std::move(strand)) {}

  void started(UniqueFd stdin_write, std::function<void()> kill) override {
    auto fd = std::make_shared<UniqueFd>(std::move(stdin_write));
    net::post(strand_, [w = session_, fd, kill = std::move(kill)]() mutable {
      if (auto s = w.lock()) s->onStarted(std::move(*fd), std::move(kill));
    });
  }

  void output(int stream, std::string chunk, std::function<void()> more) override {
    net::post(strand_,
              [w = session_, stream, chunk = std::move(chunk), more = std::move(more)]() mutable {
                if (auto s = w.lock())
                  s->onOutput(stream, std::move(chunk), std::move(more));
                else if (more)
                  more();
              });
  }

 private:
  std::weak_ptr<LiveSession> session_;
  net::any_io_executor strand_;
};

}  // namespace

LiveSession::LiveSession(tcp::socket socket, SessionContext& ctx, std::string remote,
                         Admission admission, SessionDialect dialect)
    : ws_(std::move(socket)),
      ctx_(ctx),
      remote_(std::move(remote)),
      admission_(std::move(admission)),
      dialect_(dialect),
      idle_timer_(ws_.get_executor()),
      started_(std::chrono::steady_clock::now()),
      stdin_pipe_(ws_.get_executor()) {}

LiveSession::~LiveSession() {
  if (registered_) ctx_.registry.remove(entry_);
  uncount();
}

void LiveSession::uncount() {
  if (counted_in_cap_) ctx_.live_sessions.fetch_sub(1);
  counted_in_cap_ = false;
}

void LiveSession::start(Upgrade upgrade) {
  entry_ = ctx_.registry.add(std::weak_ptr<Connection>(weak_from_this()));
  registered_ = true;
  net::post(ws_.get_executor(), [self = shared_from_this(), upgrade = std::move(upgrade)] {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = live::kHandshake;
    t.idle_timeout = websocket::stream_base::none();  // the session's own idle timer
    t.keep_alive_pings = false;
    self->ws_.set_option(t);
    self->ws_.read_message_max(live::kMaxMessageBytes);
    // A browser that offered subprotocols (the web page: "codecanvas" and its key) fails
    // the handshake unless the answer names one of them; never the key's.
    const std::string offered(upgrade[beast::http::field::sec_websocket_protocol]);
    if (offersCodecanvas(offered))
      self->ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(beast::http::field::sec_websocket_protocol, "codecanvas");
      }));
    self->ws_.auto_fragment(false);
    self->ws_.async_accept(upgrade, [self](beast::error_code ec) { self->onAccepted(ec); });
  });
}

void LiveSession::stop() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->state_ == State::kClosed || self->state_ == State::kEnding) return;
    if (self->state_ == State::kHandshake) return self->teardown();
    self->fail("shutting_down", "the server is shutting down; the session ends",
               websocket::close_code::going_away);
  });
}

void LiveSession::onAccepted(beast::error_code ec) {
  if (ec) {
    log_status_ = 400;
    return teardown();
  }
  state_ = State::kAwaitingStart;
  ws_.text(true);
  touch();
  armIdle();
  readMessage();
  if (dialect_ == SessionDialect::kPiston) {
    // Piston closes a socket that sent no "init" within a second.
    auto timer = std::make_shared<net::steady_timer>(ws_.get_executor(), std::chrono::seconds(1));
    timer->async_wait([weak = weak_from_this(), timer](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ != State::kAwaitingStart) return;
      self->status_ = "init_timeout";
      self->cancelJob();
      self->closeWith(closeReason(4001, "Initialization Timeout"));
    });
  }
}

// --- the client's messages ------------------------------------------------------------------

void LiveSession::readMessage() {
  if (reading_ || state_ == State::kClosed) return;
  if (state_ == State::kRunning && stdin_pending_ > live::kMaxPendingStdin) {
    read_paused_ = true;  // writeStdin() reads on once the program took some
    return;
  }
  read_paused_ = false;
  reading_ = true;
  ws_.async_read(
      in_, [self = shared_from_this()](beast::error_code ec, size_t n) { self->onMessage(ec, n); });
}

void LiveSession::onMessage(beast::error_code ec, size_t) {
  reading_ = false;
  if (state_ == State::kClosed) return;
  if (ec) {
    if (ec == websocket::error::message_too_big)
      return fail(
          "too_large",
          "a message is larger than " + std::to_string(live::kMaxMessageBytes / 1024) + " KiB",
          websocket::close_code::too_big);
    // The client closed or went away: nobody reads the rest, so the job stops where it is.
    if (state_ != State::kEnding && log_status_ == 101 && status_.empty()) status_ = "disconnected";
    return teardown();
  }
  if (state_ == State::kEnding) {  // after our close: read on until the client's close
    in_.consume(in_.size());
    return readMessage();
  }
  touch();
  if (!ws_.got_text()) {
    in_.consume(in_.size());
    return fail("bad_message", "messages are JSON text, not binary",
                websocket::close_code::unknown_data);
  }
  std::string message = beast::buffers_to_string(in_.data());
  in_.consume(in_.size());
  if (dialect_ == SessionDialect::kPiston) return onPistonMessage(message);
  if (state_ == State::kAwaitingStart) return startJob(message);
  onClientMessage(message);
}

void LiveSession::startJob(const std::string& message) {
  auto planned = ctx_.api.planSession(message, admission_, dialect_);
  if (auto* e = std::get_if<ApiError>(&planned)) {
    log_status_ = e->status;
    return fail(e->code, e->message,
                e->status >= 500 ? websocket::close_code::internal_error
                                 : websocket::close_code::policy_error);
  }
  job_.emplace(std::move(std::get<SessionStart>(planned)));
  language_ = job_->language->name;
  cancel_ = std::make_shared<jobs::JobCancel>();
  jobs::JobPlan plan = std::move(job_->plan);
  job_->plan = {};
  plan.cancel = cancel_;
  auto channel = std::make_shared<LiveChannel>(weak_from_this(), ws_.get_executor());
  for (auto& run : plan.runs) run.live = channel;
  plan.on_stage = [weak = weak_from_this(), strand = ws_.get_executor()](
                      const char* event, const sandbox::RunResult* compile) {
    std::optional<sandbox::RunResult> copy;
    if (compile != nullptr) copy = *compile;
    net::post(strand, [weak, event, copy = std::move(copy)]() mutable {
      if (auto s = weak.lock()) s->onStage(event, std::move(copy));
    });
  };
  if (!job_->stdin_data.empty()) {
    stdin_pending_ += job_->stdin_data.size();
    stdin_queue_.push_back(std::move(job_->stdin_data));
  }
  state_ = State::kRunning;
  const bool admitted = ctx_.api.submitSession(
      std::move(plan), [weak = weak_from_this(), strand = ws_.get_executor()](jobs::JobOutcome o) {
        net::post(strand, [weak, o = std::move(o)]() mutable {
          if (auto s = weak.lock()) s->onOutcome(std::move(o));
        });
      });
  if (!admitted) {
    log_status_ = 503;
    return fail("busy",
                ctx_.stopping ? "the server is shutting down; nothing was run"
                              : "the job queue is full; nothing was run, retry later",
                websocket::close_code::try_again_later);
  }
  if (dialect_ == SessionDialect::kPiston) send(dump(piston::runtimeMessage(*job_->language)));
  readMessage();
}

void LiveSession::onClientMessage(const std::string& message) {
  json m = json::parse(message, nullptr, /*allow_exceptions=*/false);
  const auto bad = [&](const std::string& why) {
    fail("bad_message", why, websocket::close_code::policy_error);
  };
  if (!m.is_object() || !m.contains("type") || !m["type"].is_string())
    return bad("a message is a JSON object with a \"type\": data, eof or kill");
  const std::string type = m["type"].get<std::string>();
  if (type == "data") {
    if (!m.contains("stream") || m["stream"] != "stdin")
      return bad("a data message from the client has \"stream\": \"stdin\"");
    if (!m.contains("data") || !m["data"].is_string())
      return bad("a data message has \"data\": a string");
    if (stdin_eof_) return bad("data after eof: the program's stdin is closed");
    std::string data = m["data"].get<std::string>();
    if (!data.empty() && !stdin_closed_) {
      stdin_pending_ += data.size();
      stdin_queue_.push_back(std::move(data));
      writeStdin();
    }
  } else if (type == "eof") {
    stdin_eof_ = true;
    writeStdin();
  } else if (type == "kill") {
    kill_requested_ = true;
    if (kill_) kill_();
    // Before the run started (still compiling or queued): the job stops where it is.
    else if (cancel_)
      cancel_->request();
  } else {
    return bad("unknown message type \"" + type.substr(0, 40) + "\"; use data, eof or kill");
  }
  readMessage();
}

// Piston's messages (its api/v2 "connect" socket): unknown types are ignored, as there.
void LiveSession::onPistonMessage(const std::string& message) {
  const auto closeOnly = [&](uint16_t code, const char* reason) {
    if (status_.empty()) status_ = reason;
    cancelJob();
    closeWith(closeReason(code, reason));
  };
  json m = json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded())
    return fail("bad_message", "Unexpected token in JSON", websocket::close_code::policy_error);
  const std::string type = m.is_object() && m.contains("type") && m["type"].is_string()
                               ? m["type"].get<std::string>()
                               : "";
  const bool started = state_ != State::kAwaitingStart;
  if (type == "init") {
    if (started) return closeOnly(4000, "Already Initialized");
    return startJob(message);
  }
  if (type == "data" || type == "signal") {
    if (!started) return closeOnly(4003, "Not yet initialized");
    if (type == "data") {
      if (m["stream"] != "stdin") return closeOnly(4004, "Can only write to stdin");
      if (!m.contains("data") || !m["data"].is_string())
        return fail("bad_message", "data must be a string", websocket::close_code::policy_error);
      queueStdin(m["data"].get<std::string>());
    } else {
      if (!m.contains("signal") || !m["signal"].is_string() ||
          !piston::isSignalName(m["signal"].get<std::string>()))
        return closeOnly(4005, "Invalid signal");
      killRun();  // every signal ends the run: a slot's program gets SIGKILL
    }
  }
  readMessage();
}

void LiveSession::queueStdin(std::string data) {
  if (data.empty() || stdin_closed_) return;
  stdin_pending_ += data.size();
  stdin_queue_.push_back(std::move(data));
  writeStdin();
}

void LiveSession::killRun() {
  kill_requested_ = true;
  if (kill_) kill_();
  // Before the run started (still compiling or queued): the job stops where it is.
  else if (cancel_)
    cancel_->request();
}

// --- the program's stdin --------------------------------------------------------------------

void LiveSession::onStarted(UniqueFd stdin_write, std::function<void()> kill) {
  kill_ = std::move(kill);
  if (kill_requested_) kill_();
  if (state_ == State::kClosed) return;  // the fd closes here; the job is cancelled
  beast::error_code ec;
  stdin_pipe_.assign(stdin_write.release(), ec);
  if (ec) return closeStdin();
  writeStdin();
}

void LiveSession::writeStdin() {
  if (stdin_writing_ || !stdin_pipe_.is_open()) return;
  if (stdin_queue_.empty()) {
    if (stdin_eof_) closeStdin();
    return;
  }
  stdin_writing_ = true;
  net::async_write(stdin_pipe_, net::buffer(stdin_queue_.front()),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     self->stdin_writing_ = false;
                     if (self->state_ == State::kClosed) return;
                     if (ec) return self->closeStdin();  // the program closed it or ended
                     self->stdin_pending_ -= self->stdin_queue_.front().size();
                     self->stdin_queue_.pop_front();
                     self->writeStdin();
                     if (self->read_paused_) self->readMessage();
                   });
}

void LiveSession::closeStdin() {
  // What the program will never read is dropped.
  stdin_queue_.clear();
  stdin_pending_ = 0;
  stdin_closed_ = true;
  beast::error_code ignored;
  stdin_pipe_.close(ignored);
  if (read_paused_) readMessage();
}

// --- the job's side -------------------------------------------------------------------------

void LiveSession::onStage(const char* event, std::optional<sandbox::RunResult> compile) {
  if (state_ != State::kRunning) return;
  const std::string e = event;
  if (e == "compile") compile_stage_sent_ = true;
  if (e != "compiled") return send(dump(json{{"type", "stage"}, {"stage", event}}));
  if (dialect_ != SessionDialect::kPiston || !compile) return;
  // Piston streams the compiler's output and ends the stage with its exit; a compile the
  // cache answered is reported as if it ran.
  if (!compile_stage_sent_) send(dump(json{{"type", "stage"}, {"stage", "compile"}}));
  sendData(1, compile->stdout_data);
  sendData(2, compile->stderr_data);
  for (int stream : {1, 2}) {
    if (carry_[stream].empty()) continue;
    sendData(stream, "");
  }
  send(dump(piston::exitMessage("compile", *compile)));
}

void LiveSession::onOutput(int stream, std::string chunk, std::function<void()> more) {
  if (state_ != State::kRunning) {
    if (more) more();
    return;
  }
  sendData(stream, chunk, std::move(more));
}

void LiveSession::sendData(int stream, const std::string& chunk, std::function<void()> more) {
  std::string& carry = carry_[stream == 2 ? 2 : 1];
  json data;
  if (job_->encoding == jobs::TextEncoding::kBase64) {
    data = jobs::base64Encode(chunk);
  } else {
    carry += chunk;
    // An empty chunk flushes what is held back (the end of a stage).
    const size_t n = chunk.empty() ? carry.size() : jobs::completeUtf8Prefix(carry);
    data = jobs::outputText(carry.substr(0, n), jobs::TextEncoding::kUtf8);
    carry.erase(0, n);
  }
  if (data.get_ref<const std::string&>().empty()) {
    if (more) more();
    return;
  }
  send(dump(json{{"type", "data"}, {"stream", stream == 2 ? "stderr" : "stdout"}, {"data", data}}),
       std::move(more));
}

void LiveSession::onOutcome(jobs::JobOutcome outcome) {
  if (state_ != State::kRunning) return;
  // A character the program left unfinished goes out as it is (U+FFFD).
  for (int stream : {1, 2})
    if (!carry_[stream].empty()) sendData(stream, "");
  json last = ctx_.api.sessionResult(*job_, outcome);
  counted_ = true;
  if (dialect_ == SessionDialect::kPiston) {
    if (last["type"] == "result") {
      status_ = last["result"]["status"].get<std::string>();
      // The compile's exit went out with its stage; a run that never started has none.
      if (!outcome.runs.empty()) send(dump(piston::exitMessage("run", outcome.runs.front())));
      return closeWith(closeReason(4999, "Job Completed"));
    }
    status_ = last["code"].get<std::string>();
    send(dump(json{{"type", "error"}, {"message", last["message"]}}));
    return closeWith(closeReason(4002, "Notified Error"));
  }
  if (last["type"] == "result") {
    status_ = last["result"]["status"].get<std::string>();
    send(dump(last));
    return closeWith(websocket::close_code::normal);
  }
  status_ = last["code"].get<std::string>();
  send(dump(last));
  closeWith(status_ == "busy" ? websocket::close_code::try_again_later
                              : websocket::close_code::internal_error);
}

// --- writing to the client ------------------------------------------------------------------

void LiveSession::send(std::string text, std::function<void()> after) {
  out_.push_back(Outgoing{std::move(text), std::move(after)});
  writeNext();
}

void LiveSession::writeNext() {
  if (writing_ || state_ == State::kClosed) return;
  if (out_.empty()) {
    if (close_after_writes_) {
      close_after_writes_ = false;
      ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code ec) {
        // The client's close frame comes through the pending read, which ends it; an
        // error here means it went away first.
        if (ec || !self->reading_) self->teardown();
      });
      // A client that never answers the close.
      idle_timer_.expires_after(live::kClose);
      idle_timer_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e) self->teardown();
      });
    }
    return;
  }
  writing_ = true;
  ws_.async_write(net::buffer(out_.front().text),
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    self->writing_ = false;
                    if (self->state_ == State::kClosed) return;
                    if (ec) return self->teardown();
                    self->touch();
                    auto after = std::move(self->out_.front().after);
                    self->out_.pop_front();
                    if (after) after();
                    self->writeNext();
                  });
}

void LiveSession::fail(const std::string& code, const std::string& message,
                       websocket::close_code close_code) {
  if (state_ == State::kClosed || state_ == State::kEnding) return;
  if (status_.empty()) status_ = code;
  cancelJob();
  if (dialect_ == SessionDialect::kPiston) {
    // Piston's errors: the message over the socket, then 4002.
    send(dump(json{{"type", "error"}, {"message", message}}));
    return closeWith(closeReason(4002, "Notified Error"));
  }
  send(dump(json{{"type", "error"}, {"code", code}, {"message", message}}));
  closeWith(close_code);
}

void LiveSession::closeWith(websocket::close_reason reason) {
  state_ = State::kEnding;
  close_reason_ = std::move(reason);
  close_after_writes_ = true;
  writeNext();
}

void LiveSession::cancelJob() {
  if (cancel_) cancel_->request();
}

// --- time -----------------------------------------------------------------------------------

void LiveSession::touch() {
  last_activity_ = std::chrono::steady_clock::now();
}

void LiveSession::armIdle() {
  if (state_ == State::kClosed || state_ == State::kEnding) return;
  idle_timer_.expires_at(last_activity_ + ctx_.live_idle);
  idle_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->state_ == State::kClosed || self->state_ == State::kEnding) return;
    if (std::chrono::steady_clock::now() < self->last_activity_ + self->ctx_.live_idle)
      return self->armIdle();
    const std::string why = "idle for " + std::to_string(self->ctx_.live_idle.count()) +
                            " s: no message from the client and no output reached it";
    // A client that does not read gets no more writes: the close is cut short.
    if (self->writing_) {
      self->status_ = "idle";
      return self->teardown();
    }
    self->fail("idle", why, websocket::close_code::policy_error);
  });
}

void LiveSession::teardown() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  // Its place is free as soon as it ended, not when the last handler lets go of it.
  uncount();
  cancelJob();
  if (kill_) kill_();
  idle_timer_.cancel();
  beast::error_code ignored;
  stdin_pipe_.close(ignored);
  ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  ws_.next_layer().close(ignored);
  // Writes waiting for the client: the program's pipes must not stay paused for them.
  for (auto& o : out_)
    if (o.after) o.after();
  out_.clear();
  log();
}

void LiveSession::log() {
  if (logged_) return;
  logged_ = true;
  // A session with a result was counted with it; the others here (499: the client left).
  if (!counted_) ctx_.api.countSession(log_status_ == 101 ? 499 : log_status_);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
          .count();
  std::fputs((requestLogLine("GET", "/api/v1/sessions", log_status_, language_, status_, ms,
                             remote_, admission_.key_name) +
              "\n")
                 .c_str(),
             stderr);
}

}  // namespace codecanvas::http
