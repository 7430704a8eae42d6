// The page of `sluice serve` in real headless Chromium: it lists a running job, draws its plan
// and shows live rates computed from successive polls, talking to a server that wants a token.
//
// Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe), so the test
// waits in real time for what the page shows, then takes its screenshot (Page.captureScreenshot).
// The one-shot modes would not work: --dump-dom and --screenshot act at the load event, before
// the page's second poll gives a rate, and --virtual-time-budget fast-forwards the page's clock
// (so real counter deltas are divided by virtual seconds: a rate shows, but a wrong one).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/scratch_directory.h"
#include "tests/server/server_process.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_support::Curl;
using testing_support::CurlReply;
using testing_support::FindOnPath;
using testing_support::ServerProcess;
using testing_support::Tail;

using Clock = std::chrono::steady_clock;

/// Decodes standard base64 (Page.captureScreenshot's PNG); stops at the first padding byte.
std::string DecodeBase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t bits = 0;
  int bit_count = 0;
  for (char character : text) {
    if (character == '=') break;
    size_t value = kAlphabet.find(character);
    if (value == std::string::npos) continue;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      bytes.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  return bytes;
}

/// Headless Chromium on the DevTools pipe: it reads requests from its fd 3 and writes answers
/// and events to its fd 4, each a JSON text ending in a NUL byte. Everything it writes to disk
/// stays under one directory, and everything it starts is killed when it is closed.
class HeadlessChromium {
 public:
  ~HeadlessChromium() { Kill(); }

  /// Starts `binary` with its profile, config and cache under `directory` (its own process
  /// group; output to `log_file`).
  bool Start(const std::string& binary, const fs::path& directory, const fs::path& log_file) {
    directory_ = directory;
    // Close-on-exec: later children of the test (curl) must not hold the browser's pipes.
    int requests[2];
    int answers[2];
    if (pipe2(requests, O_CLOEXEC) != 0 || pipe2(answers, O_CLOEXEC) != 0) return false;
    const std::vector<std::string> argv = {binary,
                                           "--headless",
                                           "--no-sandbox",
                                           "--disable-gpu",
                                           "--hide-scrollbars",
                                           "--no-first-run",
                                           "--window-size=1280,900",
                                           "--remote-debugging-pipe",
                                           "--user-data-dir=" + (directory / "profile").string(),
                                           "about:blank"};
    // Chromium keeps crash reports under XDG_CONFIG_HOME and certificates under HOME whatever
    // its --user-data-dir; this also puts the directory on its crash handlers' command lines
    // (see KillLeftovers).
    const std::vector<std::string> environment = {
        "HOME=" + (directory / "home").string(),
        "XDG_CONFIG_HOME=" + (directory / "config").string(),
        "XDG_CACHE_HOME=" + (directory / "cache").string()};
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      // Out of the way of 3 and 4 first: the pipe ends may themselves be 3 or 4. dup2 clears
      // close-on-exec on its target only, so 0 to 4 are all the browser inherits.
      int read_end = fcntl(requests[0], F_DUPFD_CLOEXEC, 10);
      int write_end = fcntl(answers[1], F_DUPFD_CLOEXEC, 10);
      dup2(read_end, 3);
      dup2(write_end, 4);
      int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      for (const std::string& variable : environment) putenv(const_cast<char*>(variable.c_str()));
      signal(SIGPIPE, SIG_DFL);
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    if (pid_ > 0) setpgid(pid_, pid_);  // either side may win the race; both ask the same
    close(requests[0]);
    close(answers[1]);
    to_browser_ = requests[1];
    from_browser_ = answers[0];
    return pid_ > 0;
  }

  /// Sends `method` (to the page `session`, or to the browser when empty) and waits for its
  /// answer: the "result" object, or an object holding "error" on failure or timeout.
  json Call(const std::string& method, const json& params = json::object(),
            const std::string& session = "", int timeout_seconds = 30) {
    const int64_t id = ++next_id_;
    json request = {{"id", id}, {"method", method}, {"params", params}};
    if (!session.empty()) request["sessionId"] = session;
    if (!Send(request.dump())) return Failure(method + ": the browser's pipe is closed");
    const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
    while (std::optional<json> message = Receive(deadline)) {
      if (message->value("id", int64_t{-1}) != id) continue;  // an event, or a late answer
      if (message->contains("error")) return {{"error", (*message)["error"]}};
      return message->value("result", json::object());
    }
    return Failure(method + ": no answer from the browser");
  }

  /// Attaches to the browser's first tab and sizes it 1280x900; the session id, or empty.
  std::string AttachToPage() {
    json targets = Call("Target.getTargets");
    for (const json& target : targets.value("targetInfos", json::array())) {
      if (target.value("type", "") != "page") continue;
      json attached =
          Call("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}});
      std::string session = attached.value("sessionId", "");
      // The window's 900 pixels include the browser's own (invisible) bars: size the page.
      Call("Emulation.setDeviceMetricsOverride",
           {{"width", 1280}, {"height", 900}, {"deviceScaleFactor", 1}, {"mobile", false}},
           session);
      return session;
    }
    return "";
  }

  /// The value of JavaScript `expression` in the page, or null (not loaded yet, an exception).
  json Evaluate(const std::string& session, const std::string& expression) {
    json answer = Call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}},
                       session, /*timeout_seconds=*/5);
    if (answer.contains("error") || answer.contains("exceptionDetails")) return nullptr;
    return answer.value("result", json::object()).value("value", json());
  }

  /// Asks the browser to close and waits for it (10 s at most), then kills what is left.
  void Close() {
    if (pid_ <= 0) return;
    Call("Browser.close", json::object(), "", 5);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -pid_;  // exited; its group may live on
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Kill();
  }

  /// Kills the browser's process group and any crash handler it started (in their own
  /// sessions, they name this directory on their command lines).
  void Kill() {
    if (pid_ != 0) {
      const pid_t group = pid_ > 0 ? pid_ : -pid_;
      kill(-group, SIGKILL);
      if (pid_ > 0) waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
    if (to_browser_ >= 0) close(to_browser_);
    if (from_browser_ >= 0) close(from_browser_);
    to_browser_ = from_browser_ = -1;
    KillLeftovers();
  }

 private:
  static json Failure(const std::string& message) { return {{"error", {{"message", message}}}}; }

  bool Send(const std::string& text) {
    std::string message = text + '\0';
    // A browser that died must fail the call, not kill the test with SIGPIPE.
    auto previous = signal(SIGPIPE, SIG_IGN);
    size_t written = 0;
    while (written < message.size()) {
      ssize_t count = write(to_browser_, message.data() + written, message.size() - written);
      if (count <= 0) break;
      written += static_cast<size_t>(count);
    }
    signal(SIGPIPE, previous);
    return written == message.size();
  }

  std::optional<json> Receive(Clock::time_point deadline) {
    while (true) {
      size_t end = buffer_.find('\0');
      if (end != std::string::npos) {
        json message = json::parse(buffer_.substr(0, end), nullptr, false);
        buffer_.erase(0, end + 1);
        if (!message.is_discarded()) return message;
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd readable = {from_browser_, POLLIN, 0};
      if (poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      ssize_t count = read(from_browser_, chunk, sizeof chunk);
      if (count <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(count));
    }
  }

  void KillLeftovers() {
    if (directory_.empty()) return;
    const std::string marker = directory_.string() + "/";
    std::error_code error;
    for (fs::directory_iterator it("/proc", error), end; !error && it != end; it.increment(error)) {
      const std::string name = it->path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(it->path() / "cmdline");
      std::string command_line((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
      if (command_line.find(marker) != std::string::npos) kill(std::stoi(name), SIGKILL);
    }
  }

  pid_t pid_ = 0;  // > 0 running, < 0 exited (its process group may not have), 0 none
  int to_browser_ = -1;
  int from_browser_ = -1;
  std::string buffer_;  // bytes read past the last whole message
  int64_t next_id_ = 0;
  fs::path directory_;
};

/// Nexmark events at `rate` per second of wall clock whose event time starts now and keeps
/// pace (so watermarks trail the clock by seconds), bids counted per auction in 2-second
/// tumbling windows into a filesystem table at `out`.
std::string BidsJob(const fs::path& out, int64_t events, int64_t rate) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return R"(CREATE TABLE datagen (
    event_type int,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
               state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
                reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
                category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
            `dateTime` TIMESTAMP(3), extra VARCHAR>,
    `dateTime` AS CASE WHEN event_type = 0 THEN person.`dateTime`
                       WHEN event_type = 1 THEN auction.`dateTime`
                       ELSE bid.`dateTime` END,
    WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'events.num' = ')" +
         std::to_string(events) + "', 'rate-limit' = '" + std::to_string(rate) +
         "', 'first-event.rate' = '" + std::to_string(rate) + "', 'next-event.rate' = '" +
         std::to_string(rate) + "', 'base-time' = '" + std::to_string(now) + R"(',
    'person.proportion' = '1', 'auction.proportion' = '3', 'bid.proportion' = '46');
CREATE VIEW bid AS SELECT bid.auction AS auction, bid.price AS price, `dateTime`
FROM datagen WHERE event_type = 2;
CREATE TABLE bids (auction BIGINT, window_end TIMESTAMP(3), bids BIGINT, top BIGINT)
WITH ('connector' = 'filesystem', 'path' = ')" +
         out.string() + R"(', 'format' = 'json');
INSERT INTO bids SELECT auction, window_end, COUNT(*) AS bids, MAX(price) AS top
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))
GROUP BY auction, window_start, window_end;
)";
}

class WebPageTest : public testing_support::ScratchDirectoryTest {
 protected:
  WebPageTest() : ScratchDirectoryTest("sluice-web-") {}
  // Browser and server go before their directory does.
  void TearDown() override {
    chromium_.Kill();
    server_.Kill();
    ScratchDirectoryTest::TearDown();
  }

  CurlReply Api(const std::string& method, const std::string& path, const json& body = nullptr) {
    return Curl(method, server_.Url() + path, body.is_null() ? "" : body.dump(),
                {"Authorization: Bearer " + token_});
  }

  /// Polls `expression` in the page until it gives a value other than null (up to `seconds`).
  json WaitInPage(const std::string& session, const std::string& expression, int seconds) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < deadline) {
      json value = chromium_.Evaluate(session, expression);
      if (!value.is_null()) return value;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return nullptr;
  }

  /// What the page says about its connection and errors, for failure messages.
  std::string PageStatus(const std::string& session) {
    json status = chromium_.Evaluate(
        session, R"(document.getElementById("connection").textContent + " | error: " +
                    document.getElementById("error").textContent)");
    return status.is_string() ? status.get<std::string>() : "(no page)";
  }

  /// A JavaScript expression: the rows/s the page shows for operator `uid` once it is above
  /// zero, else null.
  static std::string RateOf(const std::string& uid) {
    return "(() => { const cell = document.querySelector('[data-rate-uid=\"' + CSS.escape(" +
           json(uid).dump() +
           ") + '\"]');"
           " const rate = cell ? Number(cell.dataset.rowsPerSecond) : 0;"
           " return rate > 0 ? {rate, text: cell.textContent} : null; })()";
  }

  ServerProcess server_;
  HeadlessChromium chromium_;
  std::string token_ = "web-page-test-token";
};

TEST_F(WebPageTest, ShowsTheLiveRatesAndPlanOfARunningJob) {
  const char* chromium_override = std::getenv("SLUICE_CHROMIUM");
  const std::string chromium = chromium_override ? chromium_override : FindOnPath("chromium");
  // scripts/install-deps installs it: without it the page is untested, which is a failure.
  ASSERT_FALSE(chromium.empty())
      << "no chromium on PATH (or SLUICE_CHROMIUM) to load the page in: apt-get install chromium";

  ASSERT_TRUE(server_.Start(SLUICE_BINARY, (directory_ / "state").string(),
                            (directory_ / "server.log").string(),
                            {"--allow-path", directory_.string(), "--checkpoint-interval", "500ms",
                             "--token-file", Write("token", token_ + "\n")}))
      << server_.Log();
  // Without the token the API refuses: the page shows data only if it sends the header.
  ASSERT_EQ(Curl("GET", server_.Url() + "/v1/jobs").status, 401);

  // 5,000 events/s for 30 s: running for the whole test.
  const int64_t rate = 5000;
  const std::string running = BidsJob(directory_ / "bids", 30 * rate, rate);
  CurlReply submitted =
      Api("POST", "/v1/jobs", {{"pipe", running}, {"name", "bids.pipe"}, {"parallelism", 2}});
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = submitted.Json().value("id", "");
  json job;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    job = Api("GET", "/v1/jobs/" + id).Json();
    if (job.is_object() && job.value("state", "") == "RUNNING" &&
        job.value("rows_in", int64_t{0}) > 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(job.value("state", ""), "RUNNING") << job.dump() << server_.Log();
  ASSERT_GT(job.value("rows_in", int64_t{0}), 0) << job.dump();
  std::string source_uid, sink_uid;
  for (const json& node : job["plan"]["nodes"]) {
    if (node.value("kind", "") == "source") source_uid = node.value("uid", "");
    if (node.value("kind", "") == "sink") sink_uid = node.value("uid", "");
  }
  ASSERT_FALSE(source_uid.empty()) << job["plan"].dump();

  ASSERT_TRUE(chromium_.Start(chromium, directory_ / "chrome", directory_ / "chrome.log"));
  const std::string session = chromium_.AttachToPage();
  ASSERT_FALSE(session.empty()) << "no page to attach to; chrome.log:\n"
                                << Tail(directory_ / "chrome.log");
  json navigated = chromium_.Call(
      "Page.navigate", {{"url", server_.Url() + "/?token=" + token_ + "#job=" + id}}, session);
  ASSERT_FALSE(navigated.contains("error")) << navigated.dump();

  // A rate needs two polls of the counters, a second apart.
  json source_rate = WaitInPage(session, RateOf(source_uid), 20);
  ASSERT_TRUE(source_rate.is_object())
      << "no rate for " << source_uid << " on the page; it says: " << PageStatus(session);
  // Rows per second of wall clock: near the rate limit, not off by a unit.
  EXPECT_GT(source_rate["rate"].get<double>(), rate / 10.0) << source_rate.dump();
  EXPECT_LT(source_rate["rate"].get<double>(), rate * 4.0) << source_rate.dump();
  EXPECT_NE(source_rate["text"].get<std::string>().find("/s"), std::string::npos);

  // The sink writes once a 2-second window closes behind the watermark.
  EXPECT_TRUE(WaitInPage(session, RateOf(sink_uid), 20).is_object())
      << "no rate for " << sink_uid << "; the page says: " << PageStatus(session);

  // The plan is drawn node by node, with the hash exchange in front of the window.
  EXPECT_EQ(
      chromium_.Evaluate(session, "document.querySelectorAll('#plan g[data-node-uid]').length"),
      job["plan"]["nodes"].size());
  EXPECT_EQ(
      chromium_.Evaluate(session, "!!document.querySelector('#plan [data-exchange=\"hash\"]')"),
      true);
  EXPECT_EQ(chromium_.Evaluate(session, "document.getElementById('job-state').textContent"),
            "RUNNING");
  // The source's watermark trails the clock by its 4 s bound and a little: a lag is shown.
  json lag = chromium_.Evaluate(session,
                                "document.querySelector('[data-watermark-lag-uid=' + CSS.escape(" +
                                    json(source_uid).dump() + ") + ']').textContent");
  EXPECT_TRUE(lag.is_string() && lag != "—") << lag;
  EXPECT_TRUE(
      WaitInPage(session,
                 "document.querySelector('#checkpoints tr[data-checkpoint-id]') ? true : null", 10)
          .is_boolean());
  EXPECT_EQ(chromium_.Evaluate(session, "document.getElementById('error').textContent"), "")
      << PageStatus(session);

  // An upgrade from the page: the panel loads the running text; a change that breaks the
  // window's key is refused by Check with the check's table; the text with an added
  // accumulator checks and upgrades (its window state migrated), and shows in the job's
  // Upgrades table. The page's confirm() is answered yes.
  auto click = [&](const std::string& button) {
    return chromium_.Evaluate(session, "document.getElementById('" + button + "').click(), true");
  };
  auto upgrade_status = [&](const std::string& outcome) {
    return "(() => { const s = document.getElementById('upgrade-status');"
           " return s.dataset.outcome === '" +
           outcome + "' ? s.textContent : null; })()";
  };
  auto set_text = [&](const std::string& text) {
    return chromium_.Evaluate(
        session, "document.getElementById('upgrade-pipe').value = " + json(text).dump() + ", true");
  };
  auto replaced = [](std::string text, const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  };
  ASSERT_EQ(click("upgrade-open"), true);
  json loaded = WaitInPage(session,
                           "(() => { const t = document.getElementById('upgrade-pipe').value;"
                           " return t.length > 0 ? t : null; })()",
                           10);
  ASSERT_EQ(loaded, running) << PageStatus(session);
  const std::string rekeyed = replaced(replaced(running, "GROUP BY auction,", "GROUP BY price,"),
                                       "SELECT auction,", "SELECT price,");
  set_text(rekeyed);
  ASSERT_EQ(click("upgrade-check"), true);
  json refused = WaitInPage(session, upgrade_status("error"), 20);
  ASSERT_TRUE(refused.is_string()) << PageStatus(session);
  EXPECT_NE(refused.get<std::string>().find("Would refuse"), std::string::npos) << refused;
  const std::string added =
      replaced(replaced(running, "MAX(price) AS top", "MAX(price) AS top, MIN(price) AS low"),
               "top BIGINT)", "top BIGINT, low BIGINT)");
  set_text(added);
  ASSERT_EQ(click("upgrade-check"), true);
  json would = WaitInPage(session, upgrade_status("ok"), 20);
  ASSERT_TRUE(would.is_string()) << PageStatus(session);
  EXPECT_NE(would.get<std::string>().find("Would upgrade"), std::string::npos) << would;
  EXPECT_NE(would.get<std::string>().find("migrated"), std::string::npos) << would;
  chromium_.Evaluate(session, "window.confirm = () => true, true");
  ASSERT_EQ(click("upgrade-run"), true);
  json upgraded = WaitInPage(
      session,
      "(() => { const s = document.getElementById('upgrade-status');"
      " return s.dataset.outcome === 'ok' && s.textContent.startsWith('Upgraded') ? s.textContent"
      " : s.dataset.outcome === 'error' ? 'error: ' + s.textContent : null; })()",
      60);
  ASSERT_TRUE(upgraded.is_string()) << PageStatus(session) << server_.Log();
  EXPECT_NE(upgraded.get<std::string>().find("Upgraded to version 2"), std::string::npos)
      << upgraded;
  EXPECT_EQ(Api("GET", "/v1/jobs/" + id + "/pipe").Json().value("pipe", ""), added);
  json upgrade_row =
      WaitInPage(session,
                 "(() => { const row = document.querySelector('#upgrades tr[data-upgrade=\"1\"]');"
                 " return row ? row.textContent : null; })()",
                 10);
  ASSERT_TRUE(upgrade_row.is_string()) << "no upgrade on the page: " << PageStatus(session);
  EXPECT_NE(upgrade_row.get<std::string>().find("v1 → v2"), std::string::npos) << upgrade_row;

  json screenshot = chromium_.Call("Page.captureScreenshot", {{"format", "png"}}, session);
  const std::string png = DecodeBase64(screenshot.value("data", ""));
  ASSERT_GT(png.size(), 10000u) << screenshot.dump().substr(0, 500);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  const fs::path screenshot_path = directory_ / "page.png";
  std::ofstream(screenshot_path, std::ios::binary) << png;
  if (const char* out = std::getenv("SLUICE_SCREENSHOT_OUT")) {
    std::error_code error;
    fs::copy_file(screenshot_path, out, fs::copy_options::overwrite_existing, error);
    EXPECT_FALSE(error) << "copying the screenshot to " << out << ": " << error.message();
  }

  chromium_.Close();
  EXPECT_EQ(Api("POST", "/v1/jobs/" + id + "/cancel").status, 202);
}

}  // namespace
}  // namespace sluice
