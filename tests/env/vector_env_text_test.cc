// Specification of VectorEnv's observation-text buffer: every env's
// ObservationText in one NUL-separated buffer plus n + 1 offsets, refreshed
// by Step and Reset, growing only when it must.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "env/observation_chat.h"
#include "env/vector_env.h"
#include "env_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

// Observation text "env <e> episode <r> step <k>": e is the order the factory
// made the task in, r counts resets, k executed actions; an
// executed "GROW" appends 300 'x' to every later text of the episode, "MUTE"
// makes it empty; "DONE" ends the episode.
class TextTask : public Task {
 public:
  explicit TextTask(int id) : id_(id) {}
  Status Reset(std::uint64_t seed) override {
    seed_ = seed;
    ++episode_;
    steps_ = 0;
    grown_ = muted_ = false;
    Render();
    return Status::Ok();
  }
  TaskOutcome Execute(const StepInput& in) override {
    ++steps_;
    const std::string_view p = in.action->payload;
    grown_ = grown_ || p == "GROW";
    muted_ = p == "MUTE";
    TaskOutcome o;
    o.done = p == "DONE";
    Render();
    return o;
  }
  std::int64_t ObservationIndex() const override { return static_cast<std::int64_t>(seed_); }
  std::string_view ObservationText() const override { return text_; }
  // Even-numbered tasks have standing instructions, odd ones none.
  std::string_view Instructions() const override { return id_ % 2 == 0 ? "Count to three." : ""; }

 private:
  void Render() {
    text_.clear();
    if (muted_) return;
    text_ = "env " + std::to_string(id_) + " episode " + std::to_string(episode_) + " step " + std::to_string(steps_);
    if (grown_) text_.append(300, 'x');
  }
  int id_;
  std::uint64_t seed_ = 0;
  int episode_ = 0;
  int steps_ = 0;
  bool grown_ = false, muted_ = false;
  std::string text_;
};

class TextFactory : public TaskFactory {
 public:
  std::string_view name() const override { return "text"; }
  Status Make(std::unique_ptr<Task>* out) override {
    *out = std::make_unique<TextTask>(made_++);
    return Status::Ok();
  }

 private:
  int made_ = 0;
};

struct TextVec {
  TextFactory factory;
  std::unique_ptr<VectorEnv> v;
  explicit TextVec(std::size_t n, unsigned threads = 1, AutoresetMode mode = AutoresetMode::kNextStep,
                   bool text = true) {
    VectorEnvConfig c;
    c.num_envs = n;
    c.num_threads = threads;
    c.min_envs_per_thread = 1;  // several chunks even for small batches
    c.env.autoreset = mode;
    c.text_observations = text;
    Status s = VectorEnv::Create(WordKernel(), c, factory, &v);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  Status Step(const std::vector<std::string>& actions) {
    std::string bytes;
    std::vector<std::uint64_t> offsets{0};
    for (const auto& a : actions) {
      bytes += a;
      offsets.push_back(bytes.size());
    }
    BatchActions b;
    b.bytes = bytes;
    b.offsets = offsets;
    return v->Step(b);
  }
  // Text i read through the buffer's layout contract.
  std::string Text(std::size_t i) const {
    const auto t = v->ObservationTexts();
    return std::string(t.bytes.substr(t.offsets[i], t.offsets[i + 1] - t.offsets[i] - 1));
  }
  std::vector<std::uint64_t> Offsets() const {
    const auto t = v->ObservationTexts();
    return {t.offsets.begin(), t.offsets.end()};
  }
};

}  // namespace

TEST_CASE("observation texts are off unless asked for") {
  TextVec e(3, 1, AutoresetMode::kNextStep, /*text=*/false);
  REQUIRE(e.v->Reset(7).ok());
  CHECK(e.v->ObservationTexts().bytes.empty());
  CHECK(e.v->ObservationTexts().offsets.empty());
  CHECK(e.v->ObservationText(1) == "env 1 episode 1 step 0");  // the per-env text is still there
}

TEST_CASE("before the first reset every observation text is empty") {
  TextVec e(3);
  CHECK(e.Offsets() == std::vector<std::uint64_t>{0, 1, 2, 3});
  CHECK(e.v->ObservationTexts().bytes == std::string_view("\0\0\0", 3));
}

TEST_CASE("reset and step write every env's text, NUL-terminated, behind n + 1 offsets") {
  TextVec e(3);
  REQUIRE(e.v->Reset(7).ok());
  CHECK(e.v->ObservationTexts().bytes ==
        std::string_view("env 0 episode 1 step 0\0env 1 episode 1 step 0\0env 2 episode 1 step 0\0", 69));
  CHECK(e.Offsets() == std::vector<std::uint64_t>{0, 23, 46, 69});
  const char* c_string = e.v->ObservationTexts().bytes.data() + e.Offsets()[1];
  CHECK(std::string(c_string) == "env 1 episode 1 step 0");

  REQUIRE(e.Step({"a", "MUTE", "b"}).ok());
  CHECK(e.Text(0) == "env 0 episode 1 step 1");
  CHECK(e.Text(1) == "");
  CHECK(e.Text(2) == "env 2 episode 1 step 1");
  CHECK(e.Offsets() == std::vector<std::uint64_t>{0, 23, 24, 47});
}

TEST_CASE("a blocked action leaves its env's text as it was") {
  TextVec e(2);
  REQUIRE(e.v->Reset(1).ok());
  REQUIRE(e.Step({"CRITICAL", "ok"}).ok());
  CHECK(e.v->buffers().executed[0] == 0);
  CHECK(e.Text(0) == "env 0 episode 1 step 0");
  CHECK(e.Text(1) == "env 1 episode 1 step 1");
}

TEST_CASE("a masked reset refreshes the reset envs' texts and keeps the others'") {
  TextVec e(3);
  REQUIRE(e.v->Reset(10).ok());
  REQUIRE(e.Step({"a", "a", "a"}).ok());
  const std::vector<std::uint8_t> mask{0, 1, 0};
  REQUIRE(e.v->Reset(20, mask).ok());
  CHECK(e.Text(0) == "env 0 episode 1 step 1");
  CHECK(e.Text(1) == "env 1 episode 2 step 0");
  CHECK(e.Text(2) == "env 2 episode 1 step 1");
}

TEST_CASE("in SAME_STEP mode an ending env's text is its next episode's") {
  TextVec e(2, 1, AutoresetMode::kSameStep);
  REQUIRE(e.v->Reset(std::uint64_t{0}).ok());
  REQUIRE(e.Step({"DONE", "a"}).ok());
  CHECK(e.v->buffers().autoreset[0] == 1);
  CHECK(e.Text(0) == "env 0 episode 2 step 0");
  CHECK(e.Text(1) == "env 1 episode 1 step 1");
}

TEST_CASE("the text buffer moves only when a batch needs more room than any before") {
  TextVec e(4);
  REQUIRE(e.v->Reset(std::uint64_t{0}).ok());
  const char* first = e.v->ObservationTexts().bytes.data();
  for (int k = 0; k < 5; ++k) REQUIRE(e.Step({"a", "a", "a", "a"}).ok());
  // Same lengths: same memory.
  CHECK(static_cast<const void*>(e.v->ObservationTexts().bytes.data()) == static_cast<const void*>(first));

  REQUIRE(e.Step({"GROW", "a", "a", "a"}).ok());  // env 0's text grows by 300 bytes
  CHECK(e.Text(0) == "env 0 episode 1 step 6" + std::string(300, 'x'));
  CHECK(e.Text(3) == "env 3 episode 1 step 6");
  const char* grown = e.v->ObservationTexts().bytes.data();
  const std::uint64_t* offsets = e.v->ObservationTexts().offsets.data();
  for (int k = 0; k < 3; ++k) REQUIRE(e.Step({"a", "a", "a", "a"}).ok());  // to step 9: same lengths
  CHECK(static_cast<const void*>(e.v->ObservationTexts().bytes.data()) == static_cast<const void*>(grown));
  REQUIRE(e.Step({"a", "a", "a", "a"}).ok());  // step 10: every text 1 byte longer, past the exact fit
  const char* doubled = e.v->ObservationTexts().bytes.data();
  CHECK(e.Text(3) == "env 3 episode 1 step 10");
  for (int k = 0; k < 20; ++k) REQUIRE(e.Step({"a", "a", "a", "a"}).ok());  // the doubled room holds them
  CHECK(static_cast<const void*>(e.v->ObservationTexts().bytes.data()) == static_cast<const void*>(doubled));
  CHECK(e.v->ObservationTexts().offsets.data() == offsets);  // the offsets never move

  REQUIRE(e.v->Reset(std::uint64_t{0}).ok());  // shorter texts fit in the grown buffer
  CHECK(static_cast<const void*>(e.v->ObservationTexts().bytes.data()) == static_cast<const void*>(doubled));
  CHECK(e.Offsets() == std::vector<std::uint64_t>{0, 23, 46, 69, 92});
}

TEST_CASE("observation texts do not depend on the number of threads") {
  std::vector<std::string> actions;
  for (int i = 0; i < 64; ++i) actions.push_back(i % 5 == 0 ? "GROW" : (i % 7 == 0 ? "MUTE" : "a"));
  TextVec one(64, 1), four(64, 4);
  REQUIRE(one.v->Reset(100).ok());
  REQUIRE(four.v->Reset(100).ok());
  for (int k = 0; k < 3; ++k) {
    REQUIRE(one.Step(actions).ok());
    REQUIRE(four.Step(actions).ok());
    CHECK(one.v->ObservationTexts().bytes == four.v->ObservationTexts().bytes);
    CHECK(one.Offsets() == four.Offsets());
  }
  CHECK(four.Text(5) == "env 5 episode 1 step 3" + std::string(300, 'x'));
  CHECK(four.Text(7) == "");
  CHECK(four.Text(8) == "env 8 episode 1 step 3");
}

TEST_CASE("a step refused as a whole leaves the texts as they were") {
  TextVec e(2);
  REQUIRE(e.v->Reset(5).ok());
  CHECK_FALSE(e.Step({"only one action"}).ok());
  CHECK(e.Text(0) == "env 0 episode 1 step 0");
  CHECK(e.Text(1) == "env 1 episode 1 step 0");
}

TEST_CASE("the chat form: a system message for a task's instructions, then the observation as the user's") {
  CHECK(ChatRoleName(ChatRole::kSystem) == "system");
  CHECK(ChatRoleName(ChatRole::kUser) == "user");
  CHECK(ChatRoleName(static_cast<ChatRole>(2)) == "");

  TextVec e(3, 1, AutoresetMode::kNextStep, /*text=*/false);  // the chat form needs no text buffer
  REQUIRE(e.v->Reset(std::uint64_t{0}).ok());
  REQUIRE(e.Step({"a", "MUTE", "a"}).ok());
  ObservationChat chat;
  chat.Build(*e.v);
  CHECK(chat.num_messages() == 5);
  CHECK(std::vector<std::uint8_t>(chat.roles().begin(), chat.roles().end()) ==
        std::vector<std::uint8_t>{0, 1, 1, 0, 1});
  CHECK(std::vector<std::uint64_t>(chat.env_first().begin(), chat.env_first().end()) ==
        std::vector<std::uint64_t>{0, 2, 3, 5});
  CHECK(chat.bytes() == std::string_view("Count to three.\0env 0 episode 1 step 1\0\0"
                                         "Count to three.\0env 2 episode 1 step 1\0",
                                         16 + 23 + 1 + 16 + 23));
  CHECK(std::vector<std::uint64_t>(chat.offsets().begin(), chat.offsets().end()) ==
        std::vector<std::uint64_t>{0, 16, 39, 40, 56, 79});

  // Rebuilt after longer texts: the new contents, in memory that then stays put.
  REQUIRE(e.Step({"GROW", "a", "a"}).ok());
  chat.Build(*e.v);
  const std::uint64_t user0 = chat.offsets()[1];
  CHECK(chat.bytes().substr(user0, chat.offsets()[2] - user0 - 1) == "env 0 episode 1 step 2" + std::string(300, 'x'));
  CHECK(chat.bytes().substr(chat.offsets()[2], 22) == "env 1 episode 1 step 2");
  const void* grown = chat.bytes().data();
  REQUIRE(e.Step({"a", "a", "a"}).ok());
  chat.Build(*e.v);
  CHECK(static_cast<const void*>(chat.bytes().data()) == grown);
}
