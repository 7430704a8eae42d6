#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/engine_services.h"

namespace sluice::repl {

/// The jobs a REPL session started with INSERT INTO, each a runtime::scheduler::JobSupervisor
/// on its own thread (restarted as `restart-strategy.*` allows) until it ends or is stopped.
/// Used from the REPL's thread only.
class JobList {
 public:
  JobList();
  ~JobList();  // stops the jobs still running

  /// Starts `plan` as a job named `name` (or `name-2`, … when taken). Prints what happened;
  /// false when the job could not be created.
  bool Start(const std::string& name, const runtime::plan::PlanGraph& plan,
             runtime::scheduler::EngineServices* services);
  /// Stops the running job `name` and waits for it — after a savepoint under
  /// `state.savepoints.dir` when `with_savepoint` (a failed savepoint leaves the job running);
  /// nullopt when done, else why not.
  std::optional<std::string> Stop(const std::string& name, bool with_savepoint = false);
  /// Prints a line for each job that ended by itself since the last call.
  void ReportEnded();
  /// The SHOW JOBS table.
  void Show() const;
  void StopAll();
  bool HasRunning() const;

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> jobs_;
};

}  // namespace sluice::repl
