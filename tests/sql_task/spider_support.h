// The spider_mini fixture (tests/sql_task/fixtures/spider_mini, made by its
// generate.py) and a scratch copy of it that a test may break.
#ifndef AGENTOS_TESTS_SQL_TASK_SPIDER_SUPPORT_H_
#define AGENTOS_TESTS_SQL_TASK_SPIDER_SUPPORT_H_

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "env/sql/sql_dataset.h"

namespace agentos::testing {

inline std::string SpiderMiniDir() { return std::string(AGENTOS_SOURCE_DIR) + "/tests/sql_task/fixtures/spider_mini"; }

inline std::shared_ptr<const SqlDataset> LoadSpiderMini(const char* questions = "dev.json") {
  std::shared_ptr<const SqlDataset> ds;
  Status s = SqlDataset::LoadSpider(SpiderMiniDir() + "/database", SpiderMiniDir() + "/" + questions, &ds);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return ds;
}

class ScratchSpider {
 public:
  ScratchSpider() {
    namespace fs = std::filesystem;
    dir_ = fs::temp_directory_path() / ("agentos_spider_" + std::to_string(::getpid()) + "_" + std::to_string(n_++));
    fs::remove_all(dir_);
    fs::copy(SpiderMiniDir(), dir_, fs::copy_options::recursive);
  }
  ~ScratchSpider() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& rel) const { return (dir_ / rel).string(); }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel, std::ios::binary) << text; }
  void Remove(const std::string& rel) { std::filesystem::remove(dir_ / rel); }
  Status Load(const std::string& questions = "dev.json") {
    std::shared_ptr<const SqlDataset> ds;
    Status s = SqlDataset::LoadSpider(Path("database"), Path(questions), &ds);
    if (!s.ok()) CHECK(ds == nullptr);
    return s;
  }

 private:
  static inline int n_ = 0;
  std::filesystem::path dir_;
};

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_SQL_TASK_SPIDER_SUPPORT_H_
