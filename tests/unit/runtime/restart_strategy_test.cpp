#include "runtime/scheduler/restart_strategy.h"

#include <gtest/gtest.h>

namespace sluice::runtime::scheduler {
namespace {

RestartStrategy Make(const std::map<std::string, std::string>& options) {
  auto strategy = RestartStrategy::FromOptions(options);
  EXPECT_TRUE(strategy.ok()) << strategy.status().ToString();
  return std::move(strategy).value();
}

TEST(RestartStrategyTest, NoneNeverRestarts) {
  EXPECT_EQ(Make({}).OnFailure(0, 10), -1);
  EXPECT_EQ(Make({{"restart-strategy.type", "disable"}}).OnFailure(0, 10), -1);
}

TEST(RestartStrategyTest, FixedDelayRestartsItsAttemptsThenGivesUp) {
  RestartStrategy strategy = Make({{"restart-strategy.type", "fixed-delay"},
                                   {"restart-strategy.fixed-delay.attempts", "2"},
                                   {"restart-strategy.fixed-delay.delay", "3 s"}});
  EXPECT_EQ(strategy.OnFailure(0, 10), 3000);
  EXPECT_EQ(strategy.Describe(), "fixed-delay, attempt 1 of 2");
  EXPECT_EQ(strategy.OnFailure(20, 30), 3000);
  EXPECT_EQ(strategy.OnFailure(40, 50), -1);
}

TEST(RestartStrategyTest, ExponentialDelayGrowsToItsMaximumAndResetsAfterALongRun) {
  RestartStrategy strategy =
      Make({{"restart-strategy.type", "exponential-delay"},
            {"restart-strategy.exponential-delay.initial-backoff", "100 ms"},
            {"restart-strategy.exponential-delay.max-backoff", "350 ms"},
            {"restart-strategy.exponential-delay.backoff-multiplier", "2"},
            {"restart-strategy.exponential-delay.reset-backoff-threshold", "10 s"}});
  EXPECT_EQ(strategy.OnFailure(0, 1), 100);
  EXPECT_EQ(strategy.OnFailure(2, 3), 200);
  EXPECT_EQ(strategy.OnFailure(4, 5), 350);
  EXPECT_EQ(strategy.OnFailure(6, 7), 350);
  EXPECT_EQ(strategy.OnFailure(100, 20000), 100);  // ran longer than the threshold
}

TEST(RestartStrategyTest, FailureRateGivesUpWhenTooManyFailuresFallInTheInterval) {
  RestartStrategy strategy = Make({{"restart-strategy.type", "failure-rate"},
                                   {"restart-strategy.failure-rate.max-failures-per-interval", "2"},
                                   {"restart-strategy.failure-rate.failure-rate-interval", "1 min"},
                                   {"restart-strategy.failure-rate.delay", "5 ms"}});
  EXPECT_EQ(strategy.OnFailure(0, 1000), 5);
  EXPECT_EQ(strategy.OnFailure(0, 2000), 5);
  EXPECT_EQ(strategy.OnFailure(0, 3000), -1);
  RestartStrategy spread = Make({{"restart-strategy.type", "failurerate"}});
  EXPECT_EQ(spread.OnFailure(0, 0), 1000);
  EXPECT_EQ(spread.OnFailure(0, 61000), 1000);  // the first one left the interval
}

TEST(RestartStrategyTest, BadOptionsAreNamed) {
  auto type = RestartStrategy::FromOptions({{"restart-strategy.type", "sometimes"}});
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("'restart-strategy.type'"), std::string::npos);
  auto delay = RestartStrategy::FromOptions(
      {{"restart-strategy.type", "fixed-delay"}, {"restart-strategy.fixed-delay.delay", "soon"}});
  ASSERT_FALSE(delay.ok());
  EXPECT_NE(delay.status().message().find("'restart-strategy.fixed-delay.delay'"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::runtime::scheduler
