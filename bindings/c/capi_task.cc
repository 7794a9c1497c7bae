// agentos_task_register: numeric tasks written in C (or anything with a C
// ABI) in the engine's task registry (env/task_api.h).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "capi_internal.h"
#include "env/task_api.h"

using agentos::capi::Fail;
using agentos::capi::FromStatus;
using agentos::capi::Guard;

static_assert(AGENTOS_DTYPE_FLOAT32 == static_cast<int>(agentos::ObsDtype::kFloat32));
static_assert(AGENTOS_DTYPE_FLOAT64 == static_cast<int>(agentos::ObsDtype::kFloat64));
static_assert(AGENTOS_ACTION_SPACE_DISCRETE == static_cast<int>(agentos::ActionSpaceType::kDiscrete));
static_assert(AGENTOS_ACTION_SPACE_CONTINUOUS == static_cast<int>(agentos::ActionSpaceType::kContinuous));
static_assert(AGENTOS_ACTION_NUMERIC == static_cast<int>(agentos::ActionKind::kNumeric));

namespace {

// Status codes a C task may return, as the engine's.
agentos::Status ToStatus(int code, const std::string& msg) {
  switch (code) {
    case AGENTOS_OK: return agentos::Status::Ok();
    case AGENTOS_INVALID: return agentos::Status::InvalidArgument(msg);
    case AGENTOS_PARSE: return agentos::Status::ParseError(msg);
    case AGENTOS_IO: return agentos::Status::IoError(msg);
    case AGENTOS_STATE: return agentos::Status::StateError(msg);
    case AGENTOS_NOTFOUND: return agentos::Status::NotFound(msg);
    default: return agentos::Status::Internal(msg + " (code " + std::to_string(code) + ")");
  }
}

class CTask final : public agentos::NumericTask {
 public:
  CTask(const agentos_task_def& def, void* task) : def_(def), task_(task) {}
  ~CTask() override { def_.destroy(task_); }
  CTask(const CTask&) = delete;
  CTask& operator=(const CTask&) = delete;

  agentos::Status Reset(std::uint64_t seed, void* obs) override {
    const int code = def_.reset(task_, seed, obs);
    return code == AGENTOS_OK ? agentos::Status::Ok() : ToStatus(code, "the task's reset failed");
  }

  agentos::NumericStep Step(std::span<const double> action, void* obs) override {
    agentos_task_step out{};
    def_.step(task_, action.data(), obs, &out);
    agentos::NumericStep s;
    s.reward = out.reward;
    s.cost = out.cost;
    s.terminated = out.terminated != 0;
    s.error = out.error != 0;
    if (s.error) s.message = out.message != nullptr ? out.message : "the task reported an error";
    return s;
  }

  std::span<const double> State() const override {
    if (def_.state == nullptr) return {};
    size_t count = 0;
    const double* values = def_.state(task_, &count);
    return values == nullptr ? std::span<const double>() : std::span<const double>(values, count);
  }

 private:
  const agentos_task_def def_;
  void* const task_;
};

std::vector<double> Copy(const double* p, std::size_t n) {
  return p == nullptr ? std::vector<double>() : std::vector<double>(p, p + n);
}

}  // namespace

extern "C" {

AGENTOS_API int agentos_task_register(const char* name, size_t name_len, const agentos_task_def* def) {
  return Guard([&] {
    constexpr const char* fn = "agentos_task_register";
    if (name == nullptr) return Fail(AGENTOS_INVALID, std::string(fn) + ": name is NULL");
    if (def == nullptr) return Fail(AGENTOS_INVALID, std::string(fn) + ": def is NULL");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "def", *def, &code)) return code;
    if (def->create == nullptr || def->destroy == nullptr || def->reset == nullptr || def->step == nullptr) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": def->create, destroy, reset and step must all be set");
    }
    if ((def->obs_low == nullptr) != (def->obs_high == nullptr) ||
        (def->action_low == nullptr) != (def->action_high == nullptr)) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": give both bounds (low and high) or neither");
    }
    agentos::TaskShape shape;
    shape.obs_dim = def->obs_dim;
    shape.obs_dtype = static_cast<agentos::ObsDtype>(def->obs_dtype);
    shape.action_type = static_cast<agentos::ActionSpaceType>(def->action_space);
    if (def->obs_dtype != AGENTOS_DTYPE_FLOAT32 && def->obs_dtype != AGENTOS_DTYPE_FLOAT64) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": def->obs_dtype must be an AGENTOS_DTYPE_* value");
    }
    if (def->action_space != AGENTOS_ACTION_SPACE_DISCRETE && def->action_space != AGENTOS_ACTION_SPACE_CONTINUOUS) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": def->action_space must be an AGENTOS_ACTION_SPACE_* value");
    }
    shape.num_actions = def->num_actions;
    shape.action_dim = def->action_dim;
    if (def->obs_dim > (1u << 20) || def->action_dim > 4096) {
      return FromStatus(shape.Validate());  // refused there, before the bounds are read
    }
    shape.obs_low = Copy(def->obs_low, def->obs_dim);
    shape.obs_high = Copy(def->obs_high, def->obs_dim);
    shape.action_low = Copy(def->action_low, def->action_dim);
    shape.action_high = Copy(def->action_high, def->action_dim);
    const agentos_task_def copy = *def;
    auto make = [copy](std::string_view params, std::unique_ptr<agentos::NumericTask>* out) {
      void* task = nullptr;
      const char* message = nullptr;
      const int rc = copy.create(copy.user, params.data(), params.size(), &task, &message);
      if (rc != AGENTOS_OK) return ToStatus(rc, message != nullptr ? message : "the task's create failed");
      if (task == nullptr) return agentos::Status::Internal("the task's create returned AGENTOS_OK and no task");
      *out = std::make_unique<CTask>(copy, task);
      return agentos::Status::Ok();
    };
    return FromStatus(agentos::RegisterTask(std::string_view(name, name_len), std::move(shape), make));
  });
}

}  // extern "C"
