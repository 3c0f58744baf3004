// The worker mode's transport against a real RabbitMQ (rabbitmq_server.h starts one of the
// test's own): a job through a durable queue and its result back on the requester's reply
// queue with the correlation id; acknowledgement after the result, redelivery of what a
// consumer that went away never acknowledged, the prefetch bound, and a broker that goes
// down and comes back with the persistent job still queued.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "broker/amqp_client.h"
#include "rabbitmq_server.h"
#include "test_support.h"

namespace codecanvas::testing {
namespace {

using broker::AmqpClient;
using broker::PublishOptions;
using namespace std::chrono_literals;

class BrokerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!RabbitMqServer::installed()) return;
    server_ = new RabbitMqServer();
    started_ = server_->start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    CODECANVAS_REQUIRE(RabbitMqServer::installed(),
                       "rabbitmq-server is not installed (scripts/setup.sh installs it)");
    ASSERT_TRUE(started_) << "the test's broker did not start:\n" << server_->log();
  }

  static std::unique_ptr<AmqpClient> client() {
    auto c = AmqpClient::connect(server_->url(), 5s);
    EXPECT_TRUE(c) << (c ? "" : c.error().message);
    return c ? std::move(c.value()) : nullptr;
  }
  // A queue name of this test's own.
  static std::string queueName() {
    return std::string("codecanvas.test.") +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  static RabbitMqServer* server_;
  static bool started_;
};
RabbitMqServer* BrokerTest::server_ = nullptr;
bool BrokerTest::started_ = false;

TEST_F(BrokerTest, AJobGoesThroughTheQueueAndItsResultComesBackCorrelated) {
  auto api = client();
  auto worker = client();
  ASSERT_TRUE(api && worker);
  const std::string jobs = queueName();
  ASSERT_TRUE(api->declareDurable(jobs));
  auto reply = api->declareReplyQueue();
  ASSERT_TRUE(reply) << reply.error().message;
  ASSERT_TRUE(api->consume(*reply, 16));
  ASSERT_TRUE(api->publish(jobs, R"({"language":"c"})", {"job-1", *reply, true, 60000}));

  ASSERT_TRUE(worker->declareDurable(jobs));
  ASSERT_TRUE(worker->consume(jobs, 1));
  auto job = worker->next(5s);
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_TRUE(job->has_value());
  const broker::Message& m = **job;
  EXPECT_EQ(m.body, R"({"language":"c"})");
  EXPECT_EQ(m.correlation_id, "job-1");
  EXPECT_EQ(m.reply_to, *reply);
  EXPECT_FALSE(m.redelivered);
  // The result first, then the acknowledgement.
  ASSERT_TRUE(worker->publish(m.reply_to, R"({"status":"ok"})", {m.correlation_id, "", false, {}}));
  ASSERT_TRUE(worker->ack(m.delivery_tag));

  auto result = api->next(5s);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ((*result)->body, R"({"status":"ok"})");
  EXPECT_EQ((*result)->correlation_id, "job-1");
  ASSERT_TRUE(api->ack((*result)->delivery_tag));
  // Nothing more: the job was acknowledged once.
  auto none = worker->next(300ms);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(BrokerTest, AJobItsWorkerNeverAcknowledgedGoesToAnotherWorker) {
  const std::string jobs = queueName();
  auto api = client();
  ASSERT_TRUE(api);
  ASSERT_TRUE(api->declareDurable(jobs));
  ASSERT_TRUE(api->publish(jobs, "job", {"c-2", "", true, {}}));
  {
    auto dying = client();
    ASSERT_TRUE(dying->consume(jobs, 1));
    auto got = dying->next(5s);
    ASSERT_TRUE(got && got->has_value());
    EXPECT_FALSE((*got)->redelivered);
    // Gone without an acknowledgement (a worker killed mid-job closes its connection).
  }
  auto other = client();
  ASSERT_TRUE(other->consume(jobs, 1));
  auto again = other->next(5s);
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->body, "job");
  EXPECT_EQ((*again)->correlation_id, "c-2");
  EXPECT_TRUE((*again)->redelivered);
  ASSERT_TRUE(other->ack((*again)->delivery_tag));
}

TEST_F(BrokerTest, PrefetchBoundsWhatAWorkerHoldsUnacknowledged) {
  const std::string jobs = queueName();
  auto api = client();
  ASSERT_TRUE(api->declareDurable(jobs));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(api->publish(jobs, std::to_string(i), {}));
  auto worker = client();
  ASSERT_TRUE(worker->consume(jobs, 2));
  auto a = worker->next(5s);
  auto b = worker->next(5s);
  ASSERT_TRUE(a && a->has_value() && b && b->has_value());
  auto c = worker->next(500ms);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->has_value()) << "a third job while two are unacknowledged";
  ASSERT_TRUE(worker->ack((*a)->delivery_tag));
  c = worker->next(5s);
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ((*c)->body, "2");
  // A job refused without requeueing is gone; one refused with it comes back.
  ASSERT_TRUE(worker->reject((*b)->delivery_tag, true));
  auto back = worker->next(5s);
  ASSERT_TRUE(back && back->has_value());
  EXPECT_EQ((*back)->body, "1");
  EXPECT_TRUE((*back)->redelivered);
  ASSERT_TRUE(worker->reject((*back)->delivery_tag, false));
  ASSERT_TRUE(worker->ack((*c)->delivery_tag));
  auto none = worker->next(300ms);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

// Last: it restarts the broker. A persistent job in a durable queue outlives the restart;
// while the broker is down every call says so, and nothing hangs.
TEST_F(BrokerTest, ABrokerThatGoesDownAndComesBackKeepsThePersistentJob) {
  const std::string jobs = queueName();
  auto api = client();
  ASSERT_TRUE(api->declareDurable(jobs));
  ASSERT_TRUE(api->publish(jobs, "survivor", {"c-9", "", true, {}}));
  auto waiting = client();
  ASSERT_TRUE(waiting->declareDurable(jobs + ".empty"));
  ASSERT_TRUE(waiting->consume(jobs + ".empty", 1));

  server_->stop();
  const auto t0 = std::chrono::steady_clock::now();
  auto lost = waiting->next(5s);
  EXPECT_FALSE(lost) << "a consumer whose broker stopped must hear of it";
  if (!lost) {
    EXPECT_FALSE(lost.error().message.empty());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  auto refused = AmqpClient::connect(server_->url(), 2s);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cannot reach the broker"), std::string::npos)
      << refused.error().message;

  ASSERT_TRUE(server_->start()) << server_->log();
  auto after = client();
  ASSERT_TRUE(after);
  ASSERT_TRUE(after->consume(jobs, 1));
  auto job = after->next(10s);
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_TRUE(job->has_value());
  EXPECT_EQ((*job)->body, "survivor");
  EXPECT_EQ((*job)->correlation_id, "c-9");
  ASSERT_TRUE(after->ack((*job)->delivery_tag));
}

TEST(BrokerUrlTest, ParsesRabbitMqUris) {
  auto u = broker::parseBrokerUrl("amqp://judge:s3cret@mq.example.org:5673/codecanvas");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->user, "judge");
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->host, "mq.example.org");
  EXPECT_EQ(u->port, 5673);
  EXPECT_EQ(u->vhost, "codecanvas");
  auto d = broker::parseBrokerUrl("amqp://localhost");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->port, 5672);
  EXPECT_EQ(d->user, "guest");
  EXPECT_EQ(d->vhost, "/");
  // A bare "/" path is the default vhost as well, not one named "".
  auto slash = broker::parseBrokerUrl("amqp://localhost:5672/");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->vhost, "/");
  auto escaped = broker::parseBrokerUrl("amqp://localhost/%2Fjudge");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->vhost, "/judge");
  EXPECT_FALSE(broker::parseBrokerUrl("http://localhost/"));
  EXPECT_FALSE(broker::parseBrokerUrl("amqps://localhost/"));
  EXPECT_FALSE(broker::parseBrokerUrl("amqp://host:notaport/"));
}

}  // namespace
}  // namespace codecanvas::testing
