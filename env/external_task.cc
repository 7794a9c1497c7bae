#include "env/external_task.h"

namespace agentos {
namespace {

class ExternalTask final : public Task {
 public:
  Status Reset(std::uint64_t) override { return Status::Ok(); }
  TaskOutcome Execute(const StepInput& input) override {
    TaskOutcome o;
    o.reward = input.external_reward;
    o.success = input.external_success;
    o.done = input.external_done;
    return o;
  }
  std::int64_t ObservationIndex() const override { return -1; }
  std::string_view ObservationText() const override { return {}; }
};

class ExternalTaskFactory final : public TaskFactory {
 public:
  std::string_view name() const override { return "external"; }
  Status Make(std::unique_ptr<Task>* out) override {
    if (out == nullptr) return Status::InvalidArgument("TaskFactory::Make: out is null");
    *out = std::make_unique<ExternalTask>();
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<TaskFactory> MakeExternalTaskFactory() { return std::make_unique<ExternalTaskFactory>(); }

}  // namespace agentos
