// `sluice serve` from outside: jobs submitted over HTTP survive SIGKILL of the server and
// finish exactly-once, SIGTERM stops them with savepoints they resume from, the client
// commands, and every kind of bad input gets a clear answer.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/scratch_directory.h"
#include "tests/server/server_fixture.h"
#include "tests/server/server_process.h"

namespace sluice {
namespace {

using namespace server_test;  // NOLINT: the fixture and jobs shared by the server's tests

TEST_F(ServerTest, SubmittedJobsResumeExactlyOnceAfterTheServerIsKilled) {
  // What an uninterrupted run writes.
  std::string expected_run;
  ASSERT_EQ(RunProcess({SLUICE_BINARY, "run", "-p", "2",
                        Write("expected.pipe", WindowJob(directory_ / "expected", 40000, 0))},
                       nullptr, &expected_run),
            0)
      << expected_run;
  std::vector<std::string> expected_windows = Committed(directory_ / "expected");
  ASSERT_FALSE(expected_windows.empty());

  StartServer();
  const std::string sequence = Submit(SequenceJob(directory_ / "a", 60000, 8000), "seq.pipe");
  const std::string windows =
      Submit(WindowJob(directory_ / "b", 40000, 6000), "windows.pipe", /*parallelism=*/2);
  ASSERT_FALSE(sequence.empty());
  ASSERT_FALSE(windows.empty());
  auto checkpointed = [](const json& job) {
    return job.value("state", "") == "RUNNING" && job["checkpoints"].value("completed", 0) >= 2 &&
           job.value("rows_in", 0) > 0;
  };
  ASSERT_TRUE(server_.WaitForJob(sequence, checkpointed)) << server_.Log();
  ASSERT_TRUE(server_.WaitForJob(windows, checkpointed)) << server_.Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  server_.Kill();
  ASSERT_LT(Committed(directory_ / "a").size(), SequenceExpected(60000).size())
      << "the job ended before the kill: nothing was tested";

  StartServer();
  auto finished = [](const json& job) { return job.value("state", "") == "FINISHED"; };
  ASSERT_TRUE(server_.WaitForJob(sequence, finished)) << server_.Log();
  ASSERT_TRUE(server_.WaitForJob(windows, finished)) << server_.Log();
  EXPECT_EQ(Job(sequence).value("resumes", 0), 1);
  EXPECT_EQ(Job(windows).value("resumes", 0), 1);

  size_t hidden = 0;
  EXPECT_EQ(Committed(directory_ / "a", &hidden), SequenceExpected(60000));
  EXPECT_EQ(hidden, 0u);
  EXPECT_EQ(Committed(directory_ / "b", &hidden), expected_windows);
  EXPECT_EQ(hidden, 0u);
  EXPECT_NE(server_.Log().find("resuming it from its latest checkpoint"), std::string::npos)
      << server_.Log();
  EXPECT_EQ(server_.Terminate(), 0);
}

TEST_F(ServerTest, KillsAtRandomMomentsLoseAndDuplicateNothing) {
  const unsigned seed =
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::string expected_run;
  ASSERT_EQ(RunProcess({SLUICE_BINARY, "run", "-p", "2",
                        Write("expected.pipe", WindowJob(directory_ / "expected", 30000, 0))},
                       nullptr, &expected_run),
            0)
      << expected_run;
  StartServer();
  // Killed the first time before any checkpoint can have completed.
  const std::string sequence = Submit(SequenceJob(directory_ / "a", 40000, 6000), "seq.pipe");
  const std::string windows =
      Submit(WindowJob(directory_ / "b", 30000, 5000), "windows.pipe", /*parallelism=*/2);
  ASSERT_FALSE(sequence.empty());
  ASSERT_FALSE(windows.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(random() % 250));
  server_.Kill();
  for (int kill = 1; kill < 6; ++kill) {
    StartServer();
    // Anywhere: while restoring, between checkpoints, during one.
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + random() % 1400));
    server_.Kill();
  }
  StartServer();
  auto finished = [](const json& job) { return job.value("state", "") == "FINISHED"; };
  ASSERT_TRUE(server_.WaitForJob(sequence, finished)) << server_.Log();
  ASSERT_TRUE(server_.WaitForJob(windows, finished)) << server_.Log();
  size_t hidden = 0;
  EXPECT_EQ(Committed(directory_ / "a", &hidden), SequenceExpected(40000)) << server_.Log();
  EXPECT_EQ(hidden, 0u);
  EXPECT_EQ(Committed(directory_ / "b", &hidden), Committed(directory_ / "expected"));
  EXPECT_EQ(hidden, 0u);
}

TEST_F(ServerTest, SigtermStopsJobsWithSavepointsAndTheNextStartResumesFromThem) {
  StartServer();
  const std::string id = Submit(SequenceJob(directory_ / "a", 50000, 8000), "seq.pipe");
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job.value("state", "") == "RUNNING" && job.value("rows_in", 0) > 5000;
  })) << server_.Log();
  ASSERT_EQ(server_.Terminate(), 0) << server_.Log();
  // Everything before the savepoint is committed and visible; nothing is left pending.
  size_t hidden = 0;
  std::vector<std::string> at_stop = Committed(directory_ / "a", &hidden);
  EXPECT_EQ(hidden, 0u);
  EXPECT_GT(at_stop.size(), 0u);
  EXPECT_LT(at_stop.size(), SequenceExpected(50000).size());
  json record = json::parse(ReadFile(directory_ / "state/jobs" / id / "job.json"));
  EXPECT_EQ(record.value("state", ""), "RUNNING");
  EXPECT_FALSE(record.value("resume_from", "").empty()) << record.dump(2);

  StartServer();
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job.value("state", "") == "FINISHED";
  })) << server_.Log();
  EXPECT_EQ(Committed(directory_ / "a", &hidden), SequenceExpected(50000));
  EXPECT_EQ(hidden, 0u);
  EXPECT_NE(server_.Log().find("resuming it from " + record.value("resume_from", "")),
            std::string::npos)
      << server_.Log();
}

TEST_F(ServerTest, OnShutdownCheckpointLeavesJobsToResumeFromTheirCheckpoints) {
  StartServer({"--on-shutdown", "checkpoint"});
  const std::string id = Submit(SequenceJob(directory_ / "a", 50000, 8000), "seq.pipe");
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job.value("state", "") == "RUNNING" && job["checkpoints"].value("completed", 0) >= 2;
  })) << server_.Log();
  ASSERT_EQ(server_.Terminate(), 0) << server_.Log();
  json record = json::parse(ReadFile(directory_ / "state/jobs" / id / "job.json"));
  EXPECT_EQ(record.value("state", ""), "RUNNING");
  EXPECT_EQ(record.value("resume_from", "x"), "") << record.dump(2);

  StartServer();
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job.value("state", "") == "FINISHED";
  })) << server_.Log();
  size_t hidden = 0;
  EXPECT_EQ(Committed(directory_ / "a", &hidden), SequenceExpected(50000));
  EXPECT_EQ(hidden, 0u);
}

TEST_F(ServerTest, ClientCommandsStopWithASavepointAndSubmitFromIt) {
  StartServer();
  std::string out, err;
  std::string pipe = Write("seq.pipe", SequenceJob(directory_ / "a", 40000, 8000));
  ASSERT_EQ(Client({"submit", pipe}, &out, &err), 0) << err;
  const std::string id = out.substr(0, out.find('\n'));
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job.value("state", "") == "RUNNING" && job.value("rows_in", 0) > 2000;
  }));
  ASSERT_EQ(Client({"jobs"}, &out, &err), 0) << err;
  EXPECT_NE(out.find(id), std::string::npos) << out;
  EXPECT_NE(out.find("RUNNING"), std::string::npos) << out;
  ASSERT_EQ(Client({"job", id}, &out, &err), 0) << err;
  EXPECT_NE(out.find("source/src"), std::string::npos) << out;
  EXPECT_NE(out.find("checkpoints:"), std::string::npos) << out;
  ASSERT_EQ(Client({"savepoint", "trigger", id}, &out, &err), 0) << err;
  EXPECT_TRUE(fs::exists(fs::path(out.substr(0, out.find('\n'))) / "_metadata")) << out;

  ASSERT_EQ(Client({"stop", id, "--savepoint"}, &out, &err), 0) << err;
  const std::string savepoint = out.substr(0, out.find('\n'));
  ASSERT_TRUE(fs::exists(fs::path(savepoint) / "_metadata")) << out << err;
  EXPECT_EQ(Job(id).value("state", ""), "STOPPED");
  size_t hidden = 0;
  size_t at_stop = Committed(directory_ / "a", &hidden).size();
  EXPECT_EQ(hidden, 0u);
  EXPECT_GT(at_stop, 0u);
  // Stopping it again is a conflict with its state, not a bad request.
  EXPECT_EQ(Client({"stop", id}, &out, &err), 1);
  EXPECT_NE(err.find("not running"), std::string::npos) << err;

  // A new job from the savepoint continues exactly where the stop left off.
  ASSERT_EQ(Client({"submit", pipe, "--from", savepoint}, &out, &err), 0) << err;
  const std::string second = out.substr(0, out.find('\n'));
  EXPECT_NE(second, id);
  ASSERT_TRUE(server_.WaitForJob(second, [](const json& job) {
    return job.value("state", "") == "FINISHED";
  })) << server_.Log();
  EXPECT_EQ(Committed(directory_ / "a", &hidden), SequenceExpected(40000));

  // Cancel: at once, without a savepoint.
  ASSERT_EQ(Client({"submit", Write("long.pipe", SequenceJob(directory_ / "c", 1000000, 1000))},
                   &out, &err),
            0)
      << err;
  const std::string third = out.substr(0, out.find('\n'));
  ASSERT_TRUE(server_.WaitForJob(
      third, [](const json& job) { return job.value("state", "") == "RUNNING"; }));
  EXPECT_EQ(Client({"cancel", third}, &out, &err), 0) << err;
  EXPECT_TRUE(server_.WaitForJob(
      third, [](const json& job) { return job.value("state", "") == "STOPPED"; }));
}

TEST_F(ServerTest, CheckAgainstARunningJobsLatestCheckpoint) {
  StartServer();
  const std::string pipe = SequenceJob(directory_ / "a", 1000000, 2000);
  const std::string id = Submit(pipe, "seq.pipe");
  ASSERT_TRUE(server_.WaitForJob(
      id, [](const json& job) { return job["checkpoints"].value("completed", 0) >= 1; }));
  json request = {{"pipe", pipe}, {"name", "seq.pipe"}, {"against", {{"job", id}}}};
  CurlReply reply = Curl("POST", server_.Url() + "/v1/check", request.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  json report = reply.Json();
  EXPECT_TRUE(report.value("compatible", false)) << reply.body;
  EXPECT_TRUE(report["against"].contains("checkpoint")) << reply.body;
  EXPECT_NE(report.value("text", "").find("source/src"), std::string::npos) << reply.body;
  // The same from the command line: `sluice check NEW --job ID`.
  std::string out, err;
  EXPECT_EQ(Client({"check", Write("new.pipe", pipe), "--job", id}, &out, &err), 0) << err;
  EXPECT_NE(out.find("source/src"), std::string::npos) << out;
  EXPECT_NE(err.find("checking against job " + id), std::string::npos) << err;
  EXPECT_EQ(Client({"check", Write("new.pipe", pipe), "--job", "0badc0de"}, &out, &err), 2);
  Curl("POST", server_.Url() + "/v1/jobs/" + id + "/cancel");
}

TEST_F(ServerTest, BadRequestsGetClearErrorsAndNothingRuns) {
  StartServer();
  // A typo: 400 with the diagnostic positioned as `sluice run` prints it.
  json request = {{"pipe",
                   "CREATE TABLE t (a BIGINT) WITH ('connector' = 'datagen');\n"
                   "INSERT INTO t SELEC a FROM t;\n"},
                  {"name", "typo.pipe"}};
  CurlReply reply = Curl("POST", server_.Url() + "/v1/jobs", request.dump());
  EXPECT_EQ(reply.status, 400) << reply.body;
  json error = reply.Json()["error"];
  ASSERT_FALSE(error["diagnostics"].empty()) << reply.body;
  EXPECT_EQ(error["diagnostics"][0].value("line", 0), 2) << reply.body;
  EXPECT_GT(error["diagnostics"][0].value("column", 0), 0) << reply.body;
  EXPECT_EQ(error.value("rendered", "").rfind("typo.pipe:2:", 0), 0u) << reply.body;
  // The client prints the same and exits 2.
  std::string out, err;
  std::string typo = Write("typo.pipe", request["pipe"].get<std::string>());
  EXPECT_EQ(Client({"submit", typo}, &out, &err), 2);
  EXPECT_EQ(err.rfind("typo.pipe:2:", 0), 0u) << err;

  EXPECT_EQ(Curl("GET", server_.Url() + "/v1/jobs/0badc0de").status, 404);
  EXPECT_EQ(Curl("POST", server_.Url() + "/v1/jobs/0badc0de/stop", "{}").status, 404);
  EXPECT_EQ(Client({"job", "0badc0de"}, &out, &err), 2);
  EXPECT_NE(err.find("no job '0badc0de'"), std::string::npos) << err;
  EXPECT_EQ(Curl("GET", server_.Url() + "/v1/nothing").status, 404);
  EXPECT_EQ(Curl("POST", server_.Url() + "/v1/jobs", "{not json").status, 400);
  EXPECT_EQ(Curl("POST", server_.Url() + "/v1/jobs", R"({"pipe": 3})").status, 400);
  EXPECT_EQ(Curl("POST", server_.Url() + "/v1/jobs", R"({"name": "x.pipe"})").status, 400);
  EXPECT_EQ(Curl("POST", server_.Url() + "/v1/jobs",
                 json({{"pipe", "x"}, {"name", "../escape.pipe"}}).dump())
                .status,
            400);
  // An oversized body: 413, and the server goes on.
  std::string huge = json({{"pipe", std::string(3 << 20, ' ')}}).dump();
  EXPECT_EQ(Curl("POST", server_.Url() + "/v1/jobs", huge).status, 413);
  // A table outside the directories jobs may use: 403, naming the path.
  reply = Curl("POST", server_.Url() + "/v1/jobs",
               json({{"pipe", SequenceJob("/etc/sluice-test", 10, 10)}}).dump());
  EXPECT_EQ(reply.status, 403) << reply.body;
  EXPECT_NE(reply.body.find("/etc/sluice-test"), std::string::npos) << reply.body;
  // A user function would load a library into the server.
  reply = Curl("POST", server_.Url() + "/v1/jobs",
               json({{"pipe", "CREATE FUNCTION f AS 'libx.so:f';\n"}}).dump());
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_NE(reply.body.find("--allow-udf"), std::string::npos) << reply.body;

  // A second server on the same state directory would resume the same jobs: refused.
  EXPECT_EQ(RunProcess({SLUICE_BINARY, "serve", "--listen", "127.0.0.1:0", "--state-dir",
                        (directory_ / "state").string()},
                       &out, &err),
            2);
  EXPECT_NE(err.find("another sluice serve uses the state directory"), std::string::npos) << err;

  // Nothing of it became a job, and the server still answers.
  reply = Curl("GET", server_.Url() + "/v1/jobs");
  ASSERT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.Json()["jobs"].empty()) << reply.body;
  EXPECT_EQ(server_.Terminate(), 0);
  // A client whose server is gone fails (1), saying so.
  EXPECT_EQ(Client({"jobs"}, &out, &err), 1);
  EXPECT_NE(err.find("cannot reach the server"), std::string::npos) << err;
}

TEST_F(ServerTest, ATokenIsRequiredOffLoopbackAndCheckedOnEveryRequest) {
  // Any other address without a token: refused before anything listens.
  std::string out, err;
  EXPECT_EQ(RunProcess({SLUICE_BINARY, "serve", "--listen", "0.0.0.0:0", "--state-dir",
                        (directory_ / "state").string()},
                       &out, &err),
            2);
  EXPECT_NE(err.find("needs a bearer token"), std::string::npos) << err;

  Write("token", "s3cret-token\n");
  StartServer({"--token-file", (directory_ / "token").string()});
  EXPECT_EQ(Curl("GET", server_.Url() + "/v1/jobs").status, 401);
  EXPECT_EQ(Curl("GET", server_.Url() + "/metrics").status, 401);
  EXPECT_EQ(Curl("GET", server_.Url() + "/").status, 401);
  EXPECT_EQ(Curl("GET", server_.Url() + "/v1/jobs", "", {"Authorization: Bearer wrong"}).status,
            401);
  EXPECT_EQ(
      Curl("GET", server_.Url() + "/v1/jobs", "", {"Authorization: Bearer s3cret-token"}).status,
      200);
  EXPECT_EQ(Curl("GET", server_.Url() + "/?token=s3cret-token").status, 200);
  EXPECT_NE(server_.Log().find("401 GET /v1/jobs"), std::string::npos) << server_.Log();
  // The client sends the token from --token-file.
  EXPECT_EQ(Client({"jobs"}, &out, &err), 2);
  EXPECT_EQ(Client({"jobs", "--token-file", (directory_ / "token").string()}, &out, &err), 0)
      << err;
}

}  // namespace
}  // namespace sluice
