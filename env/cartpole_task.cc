// Built with -ffp-contract=off (env/CMakeLists.txt): Gymnasium computes
// each product and sum rounded on its own, and a fused multiply-add would
// make the trajectories drift apart in the last bits.
#include "env/cartpole_task.h"

#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string>

#include "env/episode_rng.h"
#include "kernel/rapidjson.h"

namespace agentos {
namespace {

// Gymnasium's CartPoleEnv constants, computed the same way.
constexpr double kGravity = 9.8;
constexpr double kMassCart = 1.0;
constexpr double kMassPole = 0.1;
constexpr double kTotalMass = kMassPole + kMassCart;
constexpr double kLength = 0.5;  // half the pole's length
constexpr double kPoleMassLength = kMassPole * kLength;
constexpr double kForceMag = 10.0;
constexpr double kTau = 0.02;
const double kThetaThreshold = 12 * 2 * std::numbers::pi / 360;
constexpr double kXThreshold = 2.4;
constexpr double kResetBound = 0.05;

struct CartPoleParams {
  std::optional<double> safety_zone;
  double safety_cost = 1.0;
  std::optional<std::array<double, 4>> initial_state;
};

Status Bad(const std::string& msg) { return Status::ParseError("cartpole task spec: " + msg); }

Status ParseParams(std::string_view text, CartPoleParams* out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return Bad("parameters must be a JSON object");
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    const std::string key(m->name.GetString(), m->name.GetStringLength());
    const auto& v = m->value;
    if (key == "safety_zone") {
      if (!v.IsNumber() || !std::isfinite(v.GetDouble()) || v.GetDouble() <= 0) {
        return Bad("'safety_zone' must be a finite number > 0");
      }
      out->safety_zone = v.GetDouble();
    } else if (key == "safety_cost") {
      if (!v.IsNumber() || !std::isfinite(v.GetDouble()) || v.GetDouble() < 0) {
        return Bad("'safety_cost' must be a finite number >= 0");
      }
      out->safety_cost = v.GetDouble();
    } else if (key == "initial_state") {
      if (!v.IsArray() || v.Size() != 4) return Bad("'initial_state' must be 4 numbers [x, x_dot, theta, theta_dot]");
      std::array<double, 4> s{};
      for (rapidjson::SizeType i = 0; i < 4; ++i) {
        if (!v[i].IsNumber() || !std::isfinite(v[i].GetDouble())) return Bad("'initial_state' values must be finite");
        s[i] = v[i].GetDouble();
      }
      out->initial_state = s;
    } else {
      return Bad("unknown key '" + key + "' (known: safety_zone, safety_cost, initial_state)");
    }
  }
  return Status::Ok();
}

class CartPole final : public NumericTask {
 public:
  explicit CartPole(const CartPoleParams& params) : params_(params) {}

  Status Reset(std::uint64_t seed, void* obs) override {
    if (params_.initial_state) {
      state_ = *params_.initial_state;
    } else {
      EpisodeRng rng(seed);
      for (double& v : state_) {
        const double unit = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
        v = -kResetBound + 2 * kResetBound * unit;
      }
    }
    Observe(obs);
    return Status::Ok();
  }

  NumericStep Step(std::span<const double> action, void* obs) override {
    auto& [x, x_dot, theta, theta_dot] = state_;
    const double force = action[0] == 1 ? kForceMag : -kForceMag;
    const double costheta = std::cos(theta);
    const double sintheta = std::sin(theta);
    const double temp = (force + kPoleMassLength * (theta_dot * theta_dot) * sintheta) / kTotalMass;
    const double thetaacc = (kGravity * sintheta - costheta * temp) /
                            (kLength * (4.0 / 3.0 - kMassPole * (costheta * costheta) / kTotalMass));
    const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;
    x = x + kTau * x_dot;
    x_dot = x_dot + kTau * xacc;
    theta = theta + kTau * theta_dot;
    theta_dot = theta_dot + kTau * thetaacc;
    Observe(obs);
    NumericStep out;
    out.terminated = x < -kXThreshold || x > kXThreshold || theta < -kThetaThreshold || theta > kThetaThreshold;
    out.reward = 1.0;
    if (params_.safety_zone && std::abs(x) > *params_.safety_zone) out.cost = params_.safety_cost;
    return out;
  }

  std::span<const double> State() const override { return state_; }

 private:
  void Observe(void* obs) const {
    auto* o = static_cast<float*>(obs);
    for (std::size_t i = 0; i < 4; ++i) o[i] = static_cast<float>(state_[i]);
  }

  const CartPoleParams params_;
  std::array<double, 4> state_{};
};

}  // namespace

TaskShape CartPoleShape() {
  TaskShape shape;
  shape.obs_dim = 4;
  shape.obs_dtype = ObsDtype::kFloat32;
  // Gymnasium's Box: float32 of (2 * 2.4, inf, 2 * 12 degrees, inf).
  const double inf = std::numeric_limits<double>::infinity();
  const double high[4] = {static_cast<float>(kXThreshold * 2), inf, static_cast<float>(kThetaThreshold * 2), inf};
  for (double h : high) {
    shape.obs_low.push_back(-h);
    shape.obs_high.push_back(h);
  }
  shape.action_type = ActionSpaceType::kDiscrete;
  shape.num_actions = 2;
  return shape;
}

Status MakeCartPoleTask(std::string_view params, std::unique_ptr<NumericTask>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeCartPoleTask: out is null");
  CartPoleParams p;
  if (Status s = ParseParams(params, &p); !s.ok()) return s;
  *out = std::make_unique<CartPole>(p);
  return Status::Ok();
}

}  // namespace agentos
