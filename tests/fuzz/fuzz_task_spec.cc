// Fuzzes the task-spec JSON parser (env/task_registry.cc) with arbitrary
// bytes (CartPole's parameters included). A spec either makes a factory of one of the known types (and that
// factory makes tasks that reset and step), or fails with a ParseError (or
// the SQL factory's own error) that has a message and left *out null. The
// same bytes always give the same answer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "env/task.h"
#include "env/task_registry.h"
#include "kernel/action.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size copy, so any read past the end is a sanitizer report.
  std::unique_ptr<char[]> bytes(new char[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(bytes.get(), data, size);
  const std::string_view spec(bytes.get(), size);

  std::unique_ptr<agentos::TaskFactory> factory;
  const agentos::Status s = agentos::MakeTaskFactoryFromJson(spec, &factory);
  std::unique_ptr<agentos::TaskFactory> again;
  const agentos::Status s2 = agentos::MakeTaskFactoryFromJson(spec, &again);
  Require(s.code() == s2.code() && s.message() == s2.message());
  if (!s.ok()) {
    Require(factory == nullptr);
    Require(!s.message().empty());
    // Only the SQL factory's own errors (dataset loading) are not parse errors.
    if (s.code() != agentos::Status::Code::kParseError) {
      Require(spec.find("sql") != std::string_view::npos);
    }
    return 0;
  }
  Require(factory != nullptr && again != nullptr);
  const std::string_view name = factory->name();
  Require(name == "noop" || name == "external" || name == "sql" || name == "cartpole");
  Require(again->name() == name);
  std::unique_ptr<agentos::Task> task;
  if (!factory->Make(&task).ok()) return 0;
  Require(task != nullptr);
  if (!task->Reset(1).ok()) return 0;
  agentos::Action action;
  action.kind = agentos::ActionKind::kSql;
  action.payload = "SELECT 1";
  const double push = 1.0;
  if (name == "cartpole") {
    action.kind = agentos::ActionKind::kNumeric;
    action.values = {&push, 1};
  }
  agentos::StepInput input;
  input.action = &action;
  (void)task->Execute(input);
  (void)task->ObservationText();
  Require(task->ChangedStateEpisodes() <= 1);
  return 0;
}
