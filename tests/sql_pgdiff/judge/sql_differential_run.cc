// The offline differential run: generates --count adversarial SQL texts from
// --seed and judges each (judge/engine_judge.h). Prints how many texts a
// shipped kernel allows that SQLite or PostgreSQL would run as an operation
// the policy denies; exits 1 if that count is not 0.
//
//   sql_differential_run [--count N] [--seed S] [--show N] [--list] [--source-dir DIR] [FILE...]
//
// With FILEs (fuzz artifacts, corpus entries) it judges each file's bytes
// instead of generated texts.
// --show N prints the first N findings; --list prints every text with the
// number of shipped kernels that allowed it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sql_pgdiff/judge/dialect_text_generator.h"
#include "tests/sql_pgdiff/judge/engine_judge.h"

namespace {

bool ParseU64(const char* s, std::uint64_t* out) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 0);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

void Escape(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F || c == '\\') std::printf("\\x%02x", c);
    else std::putchar(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t count = 1000000, seed = 1, show = 20;
  std::string source_dir = AGENTOS_SOURCE_DIR;
  bool list = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--count") == 0 && has_value && ParseU64(argv[i + 1], &count)) {
      ++i;
    } else if (std::strcmp(argv[i], "--seed") == 0 && has_value && ParseU64(argv[i + 1], &seed)) {
      ++i;
    } else if (std::strcmp(argv[i], "--show") == 0 && has_value && ParseU64(argv[i + 1], &show)) {
      ++i;
    } else if (std::strcmp(argv[i], "--list") == 0) {
      list = true;
    } else if (std::strcmp(argv[i], "--source-dir") == 0 && has_value) {
      source_dir = argv[++i];
    } else if (argv[i][0] != '-') {
      files.push_back(argv[i]);
    } else {
      std::fprintf(stderr, "usage: %s [--count N] [--seed S] [--show N] [--list] [--source-dir DIR] [FILE...]\n",
                   argv[0]);
      return 2;
    }
  }
  std::unique_ptr<agentos::sqljudge::DifferentialJudge> judge;
  agentos::Status s = agentos::sqljudge::DifferentialJudge::Create(source_dir, &judge);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 2;
  }
  agentos::sqljudge::DialectTextGenerator gen(seed);
  std::vector<agentos::sqljudge::Finding> findings;
  std::uint64_t shown = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t report_every = count >= 10 ? count / 10 : 1;
  if (!files.empty()) count = files.size();
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string text;
    if (files.empty()) {
      text = gen.Next();
    } else {
      std::ifstream in(files[i], std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "error: cannot read %s\n", files[i].c_str());
        return 2;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    findings.clear();
    const std::uint64_t allowed_before = judge->counts().allowed;
    judge->Judge(text, &findings);
    if (list) {
      std::printf("%llu ", static_cast<unsigned long long>(judge->counts().allowed - allowed_before));
      Escape(text);
      std::printf("\n");
    }
    for (const auto& f : findings) {
      if (shown++ >= show) break;
      std::printf("FINDING text #%llu under %s (%s): ", static_cast<unsigned long long>(i), f.policy.c_str(),
                  f.engine.c_str());
      Escape(text);
      std::printf("\n    %s\n", f.why.c_str());
    }
    if ((i + 1) % report_every == 0) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "... %llu texts, %.0f s, %.0f texts/s, %llu findings\n",
                   static_cast<unsigned long long>(i + 1), secs, (i + 1) / secs,
                   static_cast<unsigned long long>(judge->counts().texts_with_findings));
    }
  }
  const auto& c = judge->counts();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "sql_differential_run: seed %llu, %llu texts in %.0f s (%.0f texts/s)\n"
      "  kernel allowed %llu (text, policy) pairs; SQLite prepared %llu statements of them "
      "(refused %llu texts somewhere); PostgreSQL parsed %llu\n"
      "  texts allowed by a kernel that a real engine would run as a denied operation: %llu (%llu findings)\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(c.texts), secs, c.texts / secs,
      static_cast<unsigned long long>(c.allowed), static_cast<unsigned long long>(c.sqlite_statements),
      static_cast<unsigned long long>(c.sqlite_refused), static_cast<unsigned long long>(c.postgres_parsed),
      static_cast<unsigned long long>(c.texts_with_findings), static_cast<unsigned long long>(c.findings));
  return c.texts_with_findings == 0 ? 0 : 1;
}
