// Specification of SQL environments over a Spider-layout dataset: every
// reset restores the database of the episode's task from that database's
// own template, and answers are scored by execution match against the gold
// query run on the same database.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "env/sql/sql_dataset.h"
#include "env/sql/sql_session.h"
#include "env/sql/sql_task.h"
#include "env/task_registry.h"
#include "spider_support.h"
#include "sql_test_support.h"

using namespace agentos;
using agentos::testing::DigestOf;
using agentos::testing::LoadSpiderMini;
using agentos::testing::Run;
using agentos::testing::SpiderMiniDir;

namespace {

std::unique_ptr<SqlTask> SpiderTask(std::int64_t task_index, bool finish_on_success = true) {
  SqlTaskConfig config;
  config.split = "all";
  config.task_index = task_index;
  config.finish_on_success = finish_on_success;
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeSqlTaskFactory(config, LoadSpiderMini(), &factory);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::unique_ptr<Task> task;
  REQUIRE(factory->Make(&task).ok());
  auto* sql = dynamic_cast<SqlTask*>(task.release());
  REQUIRE(sql != nullptr);
  return std::unique_ptr<SqlTask>(sql);
}

}  // namespace

TEST_CASE("Spider env: a reset restores each task's own database (digests)") {
  auto ds = LoadSpiderMini();
  for (std::int64_t i = 0; i < 8; ++i) {
    auto task = SpiderTask(i);
    REQUIRE(task->Reset(1).ok());
    CHECK(task->ObservationIndex() == i);
    CHECK(DigestOf(*task) == ds->template_digest(static_cast<std::size_t>(i)));
  }
}

TEST_CASE("Spider env: one env moving between databases always starts from the right template") {
  auto ds = LoadSpiderMini();
  auto task = SpiderTask(-1, /*finish_on_success=*/false);
  std::set<std::string> visited;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    REQUIRE(task->Reset(seed).ok());
    const auto i = static_cast<std::size_t>(task->ObservationIndex());
    visited.insert(ds->task(i).db_id);
    INFO("seed " << seed << ", task " << ds->task(i).id);
    CHECK(DigestOf(*task) == ds->template_digest(i));
    // Damage this database; the next episode, on any database, must not see it.
    Run(*task, "DELETE FROM " + std::string(ds->task(i).db_id == "concert_hall" ? "concert"
                                            : ds->task(i).db_id == "library"    ? "loan"
                                                                                : "reading"));
    CHECK(task->episode_stats().changed_database());
  }
  CHECK(visited == std::set<std::string>{"concert_hall", "library", "weather"});
}

TEST_CASE("Spider env: execution match scores a correct query 1 and a wrong one 0") {
  SECTION("a count") {
    auto task = SpiderTask(0);  // How many singers are there?
    REQUIRE(task->Reset(0).ok());
    TaskOutcome ok = Run(*task, "SELECT COUNT(singer_id) FROM singer");
    CHECK(ok.reward == 1.0);
    CHECK(ok.success);
    CHECK(ok.done);
    REQUIRE(task->Reset(0).ok());
    TaskOutcome wrong = Run(*task, "SELECT count(*) FROM singer WHERE age > 30");
    CHECK(wrong.reward == 0.0);
    CHECK_FALSE(wrong.success);
    CHECK_FALSE(wrong.error);
  }
  SECTION("ORDER BY in the gold query makes row order part of the answer") {
    auto task = SpiderTask(1);  // singers from France, youngest first
    REQUIRE(task->Reset(0).ok());
    CHECK(Run(*task, "SELECT name FROM singer WHERE country = 'France' ORDER BY age DESC").reward == 0.0);
    CHECK(Run(*task, "SELECT name FROM singer WHERE country = 'France' ORDER BY age ASC").reward == 1.0);
  }
  SECTION("without ORDER BY in the gold query any row order matches") {
    auto task = SpiderTask(2);  // concerts of 2015
    REQUIRE(task->Reset(0).ok());
    CHECK(Run(*task, "SELECT title FROM concert WHERE year = 2015 ORDER BY title DESC").reward == 1.0);
  }
  SECTION("an empty gold answer is matched by an empty answer only") {
    auto task = SpiderTask(5);  // books with more than 1000 pages: none
    REQUIRE(task->Reset(0).ok());
    CHECK(Run(*task, "SELECT title FROM book").reward == 0.0);
    CHECK(Run(*task, "SELECT title FROM book WHERE pages > 5000").reward == 1.0);
  }
  SECTION("another database's tables are not there") {
    auto task = SpiderTask(3);  // library
    REQUIRE(task->Reset(0).ok());
    TaskOutcome out = Run(*task, "SELECT count(*) FROM singer");
    CHECK(out.error);
    CHECK(out.message == "no such table: singer");
  }
}

TEST_CASE("Spider env: made from a task spec with questions_file and databases_dir") {
  const std::string spec = R"({"type": "sql", "questions_file": ")" + SpiderMiniDir() +
                           R"(/train.jsonl", "databases_dir": ")" + SpiderMiniDir() + R"(/database", "task_index": 2})";
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeTaskFactoryFromJson(spec, &factory);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::unique_ptr<Task> task;
  REQUIRE(factory->Make(&task).ok());
  REQUIRE(task->Reset(7).ok());
  CHECK(task->ObservationText().substr(0, 47) == "Question: Which singer gave the most concerts?\n");
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = "SELECT name FROM singer WHERE singer_id = 1";
  StepInput in;
  in.action = &a;
  CHECK(task->Execute(in).reward == 1.0);
}

TEST_CASE("SqlSession: restoring from another image switches database and sizes the buffer to it") {
  auto ds = LoadSpiderMini();
  const auto& concert = ds->image(0);
  const auto& library = ds->image(3);
  REQUIRE(library->size() > concert->size());  // 4 KiB and 3 KiB in the fixture
  std::unique_ptr<SqlSession> session;
  REQUIRE(SqlSession::Open(concert, 1024, &session).ok());
  CHECK(session->capacity_bytes() == concert->size() + 1024);
  REQUIRE(session->Restore(library).ok());
  CHECK(session->capacity_bytes() == library->size() + 1024);
  CHECK(session->restore_counts().switched == 1);
  std::uint64_t digest = 0;
  REQUIRE(session->Digest(&digest).ok());
  CHECK(digest == ds->template_digest(3));
  ResultSet rs;
  REQUIRE(session->Run("SELECT count(*) FROM book", SqlLimits{}, &rs) == SqlRunStatus::kOk);
  CHECK(rs.at(0, 0).integer == 4);
  // The same image again is an ordinary restore, with nothing to do.
  REQUIRE(session->Restore(library).ok());
  CHECK(session->restore_counts().switched == 1);
  CHECK(session->restore_counts().skipped == 1);
  // Back to the smaller one: its own capacity, so the growth limit holds.
  REQUIRE(session->Restore(concert).ok());
  CHECK(session->capacity_bytes() == concert->size() + 1024);
  REQUIRE(session->Digest(&digest).ok());
  CHECK(digest == ds->template_digest(0));
  CHECK_FALSE(session->Restore(nullptr).ok());
}

TEST_CASE("Spider task spec: questions_file and databases_dir go together, instead of dataset_dir") {
  struct Case {
    const char* spec;
    const char* message;
  };
  const Case cases[] = {
      {R"({"type":"sql","dataset_dir":"d","questions_file":"q"})",
       "task spec: give 'dataset_dir', or 'questions_file' and 'databases_dir' (the Spider/BIRD layout), not both"},
      {R"({"type":"sql","questions_file":"q"})",
       "task spec: 'questions_file' needs 'databases_dir' (the directory of <db_id>/<db_id>.sqlite)"},
      {R"({"type":"sql","databases_dir":"d"})",
       "task spec: 'databases_dir' needs 'questions_file' (the JSON or JSON Lines questions)"},
      {R"({"type":"sql","questions_file":"","databases_dir":"d"})", "task spec: 'questions_file' is empty"},
      {R"({"type":"sql","questions_file":"q","databases_dir":""})", "task spec: 'databases_dir' is empty"},
      {R"({"type":"sql","questions_file":3,"databases_dir":"d"})", "task spec: 'questions_file' must be a string"},
  };
  for (const Case& c : cases) {
    std::unique_ptr<TaskFactory> factory;
    Status s = MakeTaskFactoryFromJson(c.spec, &factory);
    INFO(c.spec);
    CHECK(s.code() == Status::Code::kParseError);
    CHECK(s.message() == c.message);
    CHECK(factory == nullptr);
  }
  // The questions file is the split: only "all" (the default there) exists.
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeTaskFactoryFromJson(R"({"type":"sql","split":"train","questions_file":")" + SpiderMiniDir() +
                                         R"(/dev.json","databases_dir":")" + SpiderMiniDir() + R"(/database"})",
                                     &factory);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("a questions file is one split"));
}
