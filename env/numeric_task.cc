#include "env/numeric_task.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "env/cartpole_task.h"

namespace agentos {
namespace {

constexpr std::size_t kMaxNameLength = 64;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool BuiltInName(std::string_view name) { return name == "sql" || name == "external" || name == "noop"; }

Status CheckBounds(const char* what, const std::vector<double>& low, const std::vector<double>& high, std::size_t n,
                   bool finite) {
  if (low.empty() && high.empty()) return Status::Ok();
  if (low.size() != n || high.size() != n) {
    return Status::InvalidArgument(std::string("task shape: ") + what + " bounds must both be empty or have " +
                                   std::to_string(n) + " values");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(low[i]) || std::isnan(high[i]) || low[i] > high[i] ||
        (finite && !(std::isfinite(low[i]) && std::isfinite(high[i])))) {
      return Status::InvalidArgument(std::string("task shape: ") + what + " bound " + std::to_string(i) +
                                     (finite ? " must be finite with low <= high" : " must have low <= high"));
    }
  }
  return Status::Ok();
}

struct Registered {
  TaskShape shape;
  NumericTaskMaker make;
};

class Registry {
 public:
  static Registry& Global() {
    static Registry* registry = new Registry();  // never destroyed: tasks may outlive static destruction order
    return *registry;
  }

  Status Add(std::string_view name, TaskShape shape, NumericTaskMaker make) {
    if (!ValidName(name)) {
      return Status::InvalidArgument("task name '" + std::string(name) +
                                     "' must be 1 to 64 characters from a-z 0-9 _ . -");
    }
    if (BuiltInName(name)) return Status::InvalidArgument("task name '" + std::string(name) + "' is built in");
    if (!make) return Status::InvalidArgument("task '" + std::string(name) + "': the maker is empty");
    if (Status s = shape.Validate(); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = tasks_.try_emplace(std::string(name));
    if (!inserted) return Status::InvalidArgument("a task named '" + std::string(name) + "' is already registered");
    it->second = std::make_unique<Registered>(Registered{std::move(shape), std::move(make)});
    return Status::Ok();
  }

  const Registered* Find(std::string_view name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tasks_.find(std::string(name));
    return it == tasks_.end() ? nullptr : it->second.get();
  }

  std::string Names() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& [name, _] : tasks_) out += (out.empty() ? "" : ", ") + name;
    return out;
  }

 private:
  Registry() {
    // The built-in numeric tasks, written against the public API like any other.
    Status s = Add("cartpole", CartPoleShape(), MakeCartPoleTask);
    if (!s.ok()) std::abort();
  }

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Registered>, std::less<>> tasks_;
};

// Runs a NumericTask as a Task: checks the action against the shape, hands
// the task its observation row, reports its step as a TaskOutcome.
class NumericTaskRunner final : public Task {
 public:
  NumericTaskRunner(const TaskShape* shape, std::unique_ptr<NumericTask> task)
      : shape_(shape), task_(std::move(task)), own_(2 * WordsFor(shape->obs_bytes())) {
    obs_ = own_.data();
    final_obs_ = own_.data() + own_.size() / 2;
  }

  Status Reset(std::uint64_t seed) override { return task_->Reset(seed, obs_); }

  TaskOutcome Execute(const StepInput& input) override {
    TaskOutcome o;
    const std::span<const double> action = input.action->values;
    if (!ActionFits(action, o)) return o;
    const NumericStep step = task_->Step(action, obs_);
    o.reward = step.reward;
    o.done = step.terminated;
    o.error = step.error;
    o.message = step.message;
    if (std::isfinite(step.cost) && step.cost >= 0) {
      o.cost = step.cost;
    } else if (!o.error) {
      o.error = true;
      o.message = "the task reported a cost that is not finite and >= 0; counted as 0";
    }
    return o;
  }

  std::int64_t ObservationIndex() const override { return -1; }
  std::string_view ObservationText() const override { return {}; }
  const TaskShape* numeric_shape() const override { return shape_; }
  void BindObservation(void* obs, void* final_obs) override {
    obs_ = obs;
    final_obs_ = final_obs;
    own_ = {};
  }
  void KeepFinalObservation() override { std::memcpy(final_obs_, obs_, shape_->obs_bytes()); }
  std::span<const double> NumericState() const override { return task_->State(); }

 private:
  static std::size_t WordsFor(std::size_t bytes) { return (bytes + sizeof(double) - 1) / sizeof(double); }

  // What the agent sent is checked here, before the task sees it: a task
  // can rely on getting exactly the action its shape describes.
  bool ActionFits(std::span<const double> action, TaskOutcome& o) const {
    o.error = true;
    if (shape_->action_type == ActionSpaceType::kDiscrete) {
      if (action.size() != 1) {
        o.message = "a discrete task takes exactly one action value";
        return false;
      }
      const double v = action[0];
      if (!(v >= 0 && v < static_cast<double>(shape_->num_actions)) || v != std::floor(v)) {
        o.message = "the discrete action is not an integer in [0, num_actions)";
        return false;
      }
    } else if (action.size() != shape_->action_dim) {
      o.message = "the continuous action does not have action_dim values";
      return false;
    }
    o.error = false;
    return true;
  }

  const TaskShape* shape_;
  std::unique_ptr<NumericTask> task_;
  std::vector<double> own_;  // the observation rows until BindObservation
  void* obs_ = nullptr;
  void* final_obs_ = nullptr;
};

// A maker is the registrant's code: what it throws is its error.
Status CallMaker(const std::string& name, const Registered& entry, std::string_view params,
                 std::unique_ptr<NumericTask>* task) {
  Status s;
  try {
    s = entry.make(params, task);
  } catch (const std::exception& e) {
    s = Status::Internal("task '" + name + "': the maker threw: " + e.what());
  } catch (...) {
    s = Status::Internal("task '" + name + "': the maker threw an unknown exception");
  }
  if (s.ok() && !*task) return Status::Internal("task '" + name + "': the maker made nothing");
  return s;
}

class RegisteredTaskFactory final : public TaskFactory {
 public:
  RegisteredTaskFactory(std::string name, std::string params, const Registered* entry)
      : name_(std::move(name)), params_(std::move(params)), entry_(entry) {}

  std::string_view name() const override { return name_; }

  Status Make(std::unique_ptr<Task>* out) override {
    if (out == nullptr) return Status::InvalidArgument("TaskFactory::Make: out is null");
    std::unique_ptr<NumericTask> task;
    if (Status s = CallMaker(name_, *entry_, params_, &task); !s.ok()) return s;
    *out = std::make_unique<NumericTaskRunner>(&entry_->shape, std::move(task));
    return Status::Ok();
  }

 private:
  std::string name_;
  std::string params_;
  const Registered* entry_;
};

}  // namespace

Status TaskShape::Validate() const {
  if (obs_dim == 0) return Status::InvalidArgument("task shape: obs_dim must be >= 1");
  if (obs_dim > (1u << 20)) return Status::InvalidArgument("task shape: obs_dim must be <= 2^20");
  if (obs_dtype != ObsDtype::kFloat32 && obs_dtype != ObsDtype::kFloat64) {
    return Status::InvalidArgument("task shape: obs_dtype must be float32 or float64");
  }
  if (Status s = CheckBounds("observation", obs_low, obs_high, obs_dim, false); !s.ok()) return s;
  if (action_type == ActionSpaceType::kDiscrete) {
    if (num_actions < 1) return Status::InvalidArgument("task shape: a discrete task needs num_actions >= 1");
    if (action_dim != 1) return Status::InvalidArgument("task shape: a discrete task has action_dim 1");
    if (!action_low.empty() || !action_high.empty()) {
      return Status::InvalidArgument("task shape: a discrete task has no action bounds");
    }
    return Status::Ok();
  }
  if (action_type != ActionSpaceType::kContinuous) {
    return Status::InvalidArgument("task shape: action_type must be discrete or continuous");
  }
  if (action_dim == 0 || action_dim > 4096) {
    return Status::InvalidArgument("task shape: a continuous task needs action_dim in [1, 4096]");
  }
  return CheckBounds("action", action_low, action_high, action_dim, true);
}

Status RegisterTask(std::string_view name, TaskShape shape, NumericTaskMaker make) {
  return Registry::Global().Add(name, std::move(shape), std::move(make));
}

const TaskShape* RegisteredTaskShape(std::string_view name) {
  const Registered* r = Registry::Global().Find(name);
  return r == nullptr ? nullptr : &r->shape;
}

Status MakeRegisteredTaskFactory(std::string_view type, std::string params, std::unique_ptr<TaskFactory>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeRegisteredTaskFactory: out is null");
  const Registered* entry = Registry::Global().Find(type);
  if (entry == nullptr) return Status::NotFound("no task is registered as '" + std::string(type) + "'");
  // One task made now: a spec with a bad parameter fails here, naming it,
  // not later at the first env.
  std::unique_ptr<NumericTask> probe;
  if (Status s = CallMaker(std::string(type), *entry, params, &probe); !s.ok()) return s;
  *out = std::make_unique<RegisteredTaskFactory>(std::string(type), std::move(params), entry);
  return Status::Ok();
}

std::string RegisteredTaskNames() { return Registry::Global().Names(); }

}  // namespace agentos
