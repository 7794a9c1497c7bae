// Specification of the Spider/BIRD-layout loader (SqlDataset::LoadSpider) on
// the spider_mini fixture: one template per database shared by its tasks,
// schema text per database, gold results run on each task's own database,
// and a clear error naming the file and line or question for bad data.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "env/sql/sql_dataset.h"
#include "spider_support.h"

using namespace agentos;
using agentos::testing::LoadSpiderMini;
using agentos::testing::ScratchSpider;

TEST_CASE("Spider layout: 8 questions over 3 databases, one template image per database") {
  auto ds = LoadSpiderMini();
  REQUIRE(ds->size() == 8);
  CHECK(ds->database_count() == 3);
  CHECK(ds->task(0).id == "concert_hall-0");
  CHECK(ds->task(3).id == "library-3");
  CHECK(ds->task(7).id == "weather-7");
  CHECK(ds->task(3).db_id == "library");
  CHECK(ds->task(3).split.empty());
  CHECK(ds->task(3).candidates.empty());
  // Tasks of one database share its image; databases do not.
  CHECK(ds->image(0) == ds->image(1));
  CHECK(ds->image(0) == ds->image(2));
  CHECK(ds->image(3) == ds->image(5));
  CHECK(ds->image(0) != ds->image(3));
  CHECK(ds->image(3) != ds->image(6));
  CHECK(ds->image(0) == ds->image());
  CHECK(ds->template_digest(0) == ds->template_digest(2));
  CHECK(ds->template_digest(0) != ds->template_digest(3));
  CHECK(ds->template_digest(3) != ds->template_digest(6));
}

TEST_CASE("Spider layout: each task's schema and observation come from its own database") {
  auto ds = LoadSpiderMini();
  CHECK(ds->schema_text(0) ==
        "singer(singer_id, name, country, age)\n"
        "concert(concert_id, title, year, singer_id -> singer.singer_id)\n");
  CHECK(ds->schema_text(4) ==
        "author(author_id, name, born)\n"
        "book(book_id, title, pages, author_id -> author.author_id)\n"
        "loan(loan_id, book_id -> book.book_id, member, returned)\n");
  CHECK(ds->observation(7) ==
        "Question: Which station is the highest?\n"
        "Schema:\n"
        "station(station_id, city, altitude_m)\n"
        "reading(station_id -> station.station_id, day, temp_c, rain_mm)\n");
}

TEST_CASE("Spider layout: gold results are run on the task's database; ORDER BY makes them ordered") {
  auto ds = LoadSpiderMini();
  REQUIRE(ds->gold(0).rows() == 1);
  CHECK(ds->gold(0).at(0, 0).integer == 4);  // 4 singers
  CHECK(ds->gold(4).at(0, 0).integer == 2);  // 2 loans not returned
  CHECK(ds->gold(7).at(0, 0).bytes == "Quito");
  CHECK(ds->gold_ordered(1));                 // ... ORDER BY age
  CHECK_FALSE(ds->gold_ordered(2));
  CHECK(ds->gold(2).rows() == 2);
  // Spider keeps questions whose answer is empty.
  CHECK(ds->gold(5).rows() == 0);
}

TEST_CASE("Spider layout: the questions file is the split, 'all'") {
  auto ds = LoadSpiderMini();
  std::vector<std::int64_t> all;
  REQUIRE(ds->SplitIndices("all", &all).ok());
  CHECK(all == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  Status s = ds->SplitIndices("train", &all);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("a questions file is one split"));
}

TEST_CASE("BIRD-style JSON Lines: gold SQL in 'SQL', the evidence shown with the question") {
  auto ds = LoadSpiderMini("train.jsonl");
  REQUIRE(ds->size() == 3);
  CHECK(ds->database_count() == 3);
  CHECK(ds->task(0).evidence == "rain means rain_mm > 0");
  CHECK(ds->task(0).difficulty == "simple");
  CHECK(ds->task(2).difficulty == "moderate");
  CHECK(ds->observation(0) ==
        "Question: Which cities had rain on 2024-01-01?\n"
        "Evidence: rain means rain_mm > 0\n"
        "Schema:\n"
        "station(station_id, city, altitude_m)\n"
        "reading(station_id -> station.station_id, day, temp_c, rain_mm)\n");
  CHECK(ds->observation(1).substr(0, 45) == "Question: Who borrowed Quiet Engines?\nSchema:");
  REQUIRE(ds->gold(0).rows() == 2);  // Oslo and Quito
  CHECK(ds->gold(2).at(0, 0).bytes == "Ada Brook");
}

TEST_CASE("Spider layout, bad data: a missing database file names the question and the path") {
  ScratchSpider d;
  d.Remove("database/library/library.sqlite");
  Status s = d.Load();
  CHECK(s.code() == Status::Code::kParseError);
  CHECK(s.message() == d.Path("dev.json") + ": question [3]: the database file of 'library' is missing: " +
                           d.Path("database/library/library.sqlite"));
}

TEST_CASE("Spider layout, bad data: an unknown db_id names the question") {
  ScratchSpider d;
  d.Write("dev.json", R"([{"db_id": "weather", "question": "q", "query": "SELECT 1"},
 {"db_id": "nowhere", "question": "q", "query": "SELECT 1"}])");
  Status s = d.Load();
  CHECK(s.message() == d.Path("dev.json") + ": question [1]: unknown db_id 'nowhere': no directory " +
                           d.Path("database/nowhere"));
}

TEST_CASE("Spider layout, bad data: broken JSON names the line") {
  ScratchSpider d;
  d.Write("dev.json", "[\n {\"db_id\": \"weather\",\n  \"question\": \"q\" \"query\": \"SELECT 1\"}\n]\n");
  Status s = d.Load();
  CHECK(s.code() == Status::Code::kParseError);
  CHECK_THAT(s.message(), Catch::StartsWith(d.Path("dev.json") + ":3: invalid JSON: "));

  d.Write("q.jsonl", "{\"db_id\": \"weather\", \"question\": \"q\", \"SQL\": \"SELECT 1\"}\n\n{\"db_id\": \"weather\",\n");
  s = d.Load("q.jsonl");
  CHECK_THAT(s.message(), Catch::StartsWith(d.Path("q.jsonl") + ":3: invalid JSON: "));
}

TEST_CASE("Spider layout, bad data: a gold query that fails names the question and SQLite's error") {
  ScratchSpider d;
  d.Write("dev.json", R"([{"db_id": "weather", "question": "q", "query": "SELECT 1"},
 {"db_id": "concert_hall", "question": "q", "query": "SELECT nope FROM singer"}])");
  Status s = d.Load();
  CHECK(s.code() == Status::Code::kParseError);
  CHECK(s.message() == d.Path("dev.json") + ": question [1]: gold query of 'concert_hall-1' failed: no such column: nope");
  // A table of another database is not there.
  d.Write("q.jsonl", R"({"db_id": "library", "question": "q", "SQL": "SELECT count(*) FROM singer"})");
  s = d.Load("q.jsonl");
  CHECK(s.message() == d.Path("q.jsonl") + ":1: gold query of 'library-0' failed: no such table: singer");
}

TEST_CASE("Spider layout, bad data: a gold query that writes is refused") {
  ScratchSpider d;
  d.Write("dev.json", R"([{"db_id": "library", "question": "q", "query": "DELETE FROM loan"}])");
  Status s = d.Load();
  CHECK(s.message() == d.Path("dev.json") + ": question [0]: gold query of 'library-0' writes to the database");
}

TEST_CASE("Spider layout, bad data: a database file that is not a database") {
  ScratchSpider d;
  d.Write("database/weather/weather.sqlite", "these are not the pages you are looking for, not at all");
  Status s = d.Load();
  CHECK(s.code() == Status::Code::kParseError);
  CHECK_THAT(s.message(), Catch::StartsWith(d.Path("dev.json") + ": question [6]: cannot read the database " +
                                            d.Path("database/weather/weather.sqlite")));
  CHECK_THAT(s.message(), Catch::Contains("not a database"));
}

TEST_CASE("Spider layout, bad data: missing files and directories, and a db_id that is a path") {
  ScratchSpider d;
  Status s = d.Load("missing.json");
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(s.message() == "cannot read " + d.Path("missing.json"));

  std::shared_ptr<const SqlDataset> ds;
  s = SqlDataset::LoadSpider(d.Path("no_such_dir"), d.Path("dev.json"), &ds);
  CHECK(s.message() == "the databases directory " + d.Path("no_such_dir") + " does not exist or is not a directory");
  CHECK(ds == nullptr);

  d.Write("dev.json", R"([{"db_id": "../database/weather", "question": "q", "query": "SELECT 1"}])");
  s = d.Load();
  CHECK_THAT(s.message(), Catch::StartsWith(d.Path("dev.json") + ": question [0]: 'db_id' must be a plain directory name"));
}
