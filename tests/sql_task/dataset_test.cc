// Specification of the shop dataset and its loader: size, splits, gold
// results, candidate sets, and fail-closed loading of broken datasets.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "env/sql/sql_dataset.h"
#include "env/sql/sql_session.h"
#include "sql_test_support.h"

using namespace agentos;
using agentos::testing::Shop;
using agentos::testing::ShopDir;

namespace fs = std::filesystem;

namespace {

// A scratch copy of the shop dataset whose files a test may break.
class ScratchDataset {
 public:
  ScratchDataset() {
    dir_ = fs::temp_directory_path() / ("agentos_sql_ds_" + std::to_string(::getpid()) + "_" + std::to_string(n_++));
    fs::create_directories(dir_);
    for (const char* f : {"schema.sql", "data.sql", "tasks.jsonl"}) {
      fs::copy_file(fs::path(ShopDir()) / f, dir_ / f, fs::copy_options::overwrite_existing);
    }
  }
  ~ScratchDataset() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const char* file, const std::string& text) { std::ofstream(dir_ / file, std::ios::binary) << text; }
  Status Load() {
    std::shared_ptr<const SqlDataset> ds;
    return SqlDataset::Load(dir_.string(), &ds);
  }

 private:
  static inline int n_ = 0;
  fs::path dir_;
};

const char* kOneTask =
    R"({"id": "t1", "split": "train", "question": "How many orders?", "gold_sql": "SELECT COUNT(*) FROM orders", )"
    R"("candidates": [{"sql": "SELECT COUNT(*) FROM orders", "label": "correct"}]})";

}  // namespace

TEST_CASE("the shop dataset loads with at least 200 tasks split about 75/25") {
  auto ds = Shop();
  REQUIRE(ds->size() >= 200);
  std::vector<std::int64_t> train, test, all;
  REQUIRE(ds->SplitIndices("train", &train).ok());
  REQUIRE(ds->SplitIndices("test", &test).ok());
  REQUIRE(ds->SplitIndices("all", &all).ok());
  CHECK(train.size() + test.size() == ds->size());
  CHECK(all.size() == ds->size());
  double test_share = static_cast<double>(test.size()) / static_cast<double>(ds->size());
  CHECK(test_share > 0.2);
  CHECK(test_share < 0.3);
  std::vector<std::int64_t> none;
  CHECK_FALSE(ds->SplitIndices("validation", &none).ok());
}

TEST_CASE("task ids are unique and every family appears in both splits") {
  auto ds = Shop();
  std::set<std::string> ids;
  std::map<std::string, std::set<std::string>> splits_of_family;
  for (std::size_t i = 0; i < ds->size(); ++i) {
    CHECK(ids.insert(ds->task(i).id).second);
    splits_of_family[ds->task(i).family].insert(ds->task(i).split);
  }
  CHECK(splits_of_family.size() >= 25);
  for (const auto& [family, splits] : splits_of_family) {
    INFO(family);
    CHECK(splits.size() == 2);
  }
}

TEST_CASE("every gold query returns data, and the same data whatever the scan order") {
  auto ds = Shop();
  std::unique_ptr<SqlSession> reversed;
  REQUIRE(SqlSession::Open(ds->image(), 0, &reversed).ok());
  ResultSet ignored;
  REQUIRE(reversed->Run("PRAGMA reverse_unordered_selects = ON", SqlLimits{}, &ignored) == SqlRunStatus::kOk);
  for (std::size_t i = 0; i < ds->size(); ++i) {
    INFO(ds->task(i).id << ": " << ds->task(i).gold_sql);
    CHECK(ds->gold(i).rows() > 0);
    ResultSet again;
    REQUIRE(reversed->Run(ds->task(i).gold_sql, SqlLimits{}, &again) == SqlRunStatus::kOk);
    CHECK(ResultsMatch(ds->gold(i), again, ds->gold_ordered(i)));
  }
}

TEST_CASE("every task ships 6 to 10 candidates with a safe correct one, wrong ones and a destructive one") {
  auto ds = Shop();
  for (std::size_t i = 0; i < ds->size(); ++i) {
    const SqlTaskSpec& t = ds->task(i);
    INFO(t.id);
    CHECK(t.candidates.size() >= 6);
    CHECK(t.candidates.size() <= 10);
    std::map<CandidateLabel, int> count;
    bool gold_listed = false;
    for (const auto& c : t.candidates) {
      ++count[c.label];
      gold_listed |= c.sql == t.gold_sql && c.label == CandidateLabel::kCorrect;
    }
    CHECK(count[CandidateLabel::kCorrect] >= 1);
    CHECK(count[CandidateLabel::kWrong] >= 2);
    CHECK(count[CandidateLabel::kDestructive] >= 1);
    CHECK(gold_listed);
  }
}

TEST_CASE("the observation is the question followed by the compact schema") {
  auto ds = Shop();
  const std::string& schema = ds->schema_text();
  for (const char* table : {"categories(", "products(", "customers(", "orders(", "order_items(", "payments(",
                            "reviews("}) {
    CHECK(schema.find(table) != std::string::npos);
  }
  CHECK(schema.find("customer_id -> customers.id") != std::string::npos);
  std::string_view obs = ds->observation(0);
  CHECK(obs.find(ds->task(0).question) != std::string_view::npos);
  CHECK(obs.find(schema) != std::string_view::npos);
}

TEST_CASE("the committed dataset files are exactly what the generator writes") {
  // The generator verifies every label on the same SQLite library; this
  // proves the committed files came from it unedited.
  std::string cmd = "/usr/bin/python3 " + ShopDir() + "/generate.py --check > /dev/null";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("loading fails closed on a broken dataset, naming the file and line") {
  SECTION("missing directory") {
    std::shared_ptr<const SqlDataset> ds;
    Status s = SqlDataset::Load("/nonexistent/agentos/dataset", &ds);
    CHECK(s.code() == Status::Code::kIoError);
    CHECK(ds == nullptr);
  }
  SECTION("schema that does not run") {
    ScratchDataset d;
    d.Write("schema.sql", "CREATE TABLE (;");
    Status s = d.Load();
    CHECK(s.code() == Status::Code::kParseError);
    CHECK_THAT(s.message(), Catch::Contains("schema.sql"));
  }
  SECTION("data that tries to reach a file") {
    ScratchDataset d;
    d.Write("data.sql", "ATTACH DATABASE '/tmp/agentos_dataset_escape.db' AS x;");
    Status s = d.Load();
    CHECK(s.code() == Status::Code::kParseError);
    CHECK_THAT(s.message(), Catch::Contains("not authorized"));
    CHECK_FALSE(fs::exists("/tmp/agentos_dataset_escape.db"));
  }
  SECTION("invalid JSON") {
    ScratchDataset d;
    d.Write("tasks.jsonl", std::string(kOneTask) + "\n{not json}\n");
    Status s = d.Load();
    CHECK(s.code() == Status::Code::kParseError);
    CHECK_THAT(s.message(), Catch::Contains("tasks.jsonl:2"));
  }
  SECTION("unknown key") {
    ScratchDataset d;
    d.Write("tasks.jsonl", R"({"id": "t1", "split": "train", "question": "q", "gold_sql": "SELECT 1", )"
                           R"("candidates": [], "expected": [[1]]})");
    CHECK_THAT(d.Load().message(), Catch::Contains("unknown key 'expected'"));
  }
  SECTION("missing key") {
    ScratchDataset d;
    d.Write("tasks.jsonl", R"({"id": "t1", "split": "train", "question": "q", "candidates": []})");
    CHECK_THAT(d.Load().message(), Catch::Contains("missing key 'gold_sql'"));
  }
  SECTION("bad split and bad label") {
    ScratchDataset d;
    d.Write("tasks.jsonl", R"({"id": "t1", "split": "dev", "question": "q", "gold_sql": "SELECT 1", "candidates": []})");
    CHECK_THAT(d.Load().message(), Catch::Contains("'split'"));
    d.Write("tasks.jsonl", R"({"id": "t1", "split": "test", "question": "q", "gold_sql": "SELECT 1", )"
                           R"("candidates": [{"sql": "SELECT 1", "label": "maybe"}]})");
    CHECK_THAT(d.Load().message(), Catch::Contains("unknown candidate label"));
  }
  SECTION("duplicate id") {
    ScratchDataset d;
    d.Write("tasks.jsonl", std::string(kOneTask) + "\n" + kOneTask + "\n");
    CHECK_THAT(d.Load().message(), Catch::Contains("duplicate id 't1'"));
  }
  SECTION("gold query that fails, writes, or returns nothing") {
    ScratchDataset d;
    d.Write("tasks.jsonl", R"({"id": "t1", "split": "train", "question": "q", "gold_sql": "SELECT nope FROM orders", )"
                           R"("candidates": []})");
    CHECK_THAT(d.Load().message(), Catch::Contains("failed"));
    d.Write("tasks.jsonl", R"({"id": "t1", "split": "train", "question": "q", )"
                           R"("gold_sql": "DELETE FROM orders; SELECT 1", "candidates": []})");
    CHECK_THAT(d.Load().message(), Catch::Contains("writes"));
    d.Write("tasks.jsonl", R"({"id": "t1", "split": "train", "question": "q", )"
                           R"("gold_sql": "SELECT id FROM orders WHERE id < 0", "candidates": []})");
    CHECK_THAT(d.Load().message(), Catch::Contains("no data"));
  }
  SECTION("no tasks at all") {
    ScratchDataset d;
    d.Write("tasks.jsonl", "\n");
    CHECK_THAT(d.Load().message(), Catch::Contains("no tasks"));
  }
  SECTION("a well-formed one-task dataset loads") {
    ScratchDataset d;
    d.Write("tasks.jsonl", std::string(kOneTask) + "\n");
    Status s = d.Load();
    INFO(s.ToString());
    CHECK(s.ok());
  }
}
