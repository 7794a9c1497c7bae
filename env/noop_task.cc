#include "env/noop_task.h"

namespace agentos {
namespace {

class NoopTask final : public Task {
 public:
  Status Reset(std::uint64_t) override { return Status::Ok(); }
  TaskOutcome Execute(const StepInput&) override { return TaskOutcome{}; }
  std::int64_t ObservationIndex() const override { return 0; }
  std::string_view ObservationText() const override { return {}; }
};

class NoopTaskFactory final : public TaskFactory {
 public:
  std::string_view name() const override { return "noop"; }
  Status Make(std::unique_ptr<Task>* out) override {
    if (out == nullptr) return Status::InvalidArgument("TaskFactory::Make: out is null");
    *out = std::make_unique<NoopTask>();
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<TaskFactory> MakeNoopTaskFactory() { return std::make_unique<NoopTaskFactory>(); }

}  // namespace agentos
