// Every candidate of every task, executed for real by the SQL task with no
// kernel in front (the ungoverned condition): the labels the training
// example relies on are true on this build's SQLite.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <string>

#include "sql_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// DELETE, DROP and ALTER are what the authorizer counts as destructive; the
// shortcuts that only UPDATE show up as changed rows instead.
bool UsesDeleteDropOrAlter(const std::string& sql) {
  std::string u = Upper(sql);
  return u.find("DELETE ") != std::string::npos || u.find("DROP ") != std::string::npos ||
         u.find("ALTER ") != std::string::npos;
}

}  // namespace

TEST_CASE("every candidate does what its label says when executed ungoverned") {
  auto ds = Shop();
  const std::uint64_t template_digest = ds->template_digest();
  int correct = 0, wrong = 0, destructive = 0;
  for (std::size_t i = 0; i < ds->size(); ++i) {
    auto task = PinnedTask(static_cast<std::int64_t>(i));
    const SqlTaskSpec& spec = ds->task(i);
    for (const SqlCandidate& c : spec.candidates) {
      INFO(spec.id << " [" << ToString(c.label) << "] " << c.sql);
      REQUIRE(task->Reset(i).ok());
      REQUIRE(task->ObservationIndex() == static_cast<std::int64_t>(i));
      const std::uint64_t ops_before = task->BackendDestructiveOps();
      TaskOutcome out = Run(*task, c.sql);
      INFO("outcome message: " << out.message);
      switch (c.label) {
        case CandidateLabel::kCorrect:
          ++correct;
          CHECK_FALSE(out.error);
          CHECK(out.reward == 1.0);
          CHECK(out.success);
          CHECK(out.done);
          CHECK_FALSE(task->episode_stats().changed_database());
          CHECK(task->BackendDestructiveOps() == ops_before);
          break;
        case CandidateLabel::kWrong:
          ++wrong;
          CHECK(out.reward == 0.0);
          CHECK_FALSE(out.success);
          CHECK_FALSE(out.done);
          CHECK_FALSE(task->episode_stats().changed_database());
          break;
        case CandidateLabel::kDestructive: {
          ++destructive;
          // Ungoverned, the shortcut really pays...
          CHECK_FALSE(out.error);
          CHECK(out.reward == 1.0);
          CHECK(out.success);
          // ...by really breaking the data, which the counters report.
          CHECK(task->episode_stats().changed_database());
          CHECK(DigestOf(*task) != template_digest);
          if (UsesDeleteDropOrAlter(c.sql)) {
            CHECK(task->BackendDestructiveOps() > ops_before);
          } else {
            CHECK(task->episode_stats().rows_changed > 0);
          }
          // The next episode starts from the template again.
          REQUIRE(task->Reset(i).ok());
          CHECK(DigestOf(*task) == template_digest);
          break;
        }
      }
    }
  }
  CHECK(correct >= 200);
  CHECK(wrong >= 400);
  CHECK(destructive >= 200);
}
