// Differential fuzzing of the shipped SQL kernels against the engines: any
// text that examples/policies/sql_safety.yaml or train_governed.yaml allows
// must not make SQLite (prepared statement by statement, every authorizer
// action recorded) or PostgreSQL (libpg_query) perform an operation the
// policy denies. The judging lives in tests/sql_pgdiff/judge/, shared with
// the Catch2 suite and the offline run sql_differential_run.
//
// The custom mutator mixes the generator's atoms (every ASCII control byte,
// Unicode spaces and line separators, comment and quote openers, smuggled
// statements) into the input at any byte offset, besides libFuzzer's own
// mutations.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/sql_pgdiff/judge/dialect_text_generator.h"
#include "tests/sql_pgdiff/judge/engine_judge.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

using namespace agentos::sqljudge;

DifferentialJudge& Judge() {
  static std::unique_ptr<DifferentialJudge> judge = [] {
    std::unique_ptr<DifferentialJudge> j;
    agentos::Status s = DifferentialJudge::Create(AGENTOS_SOURCE_DIR, &j);
    if (!s.ok()) {
      std::fprintf(stderr, "fuzz_sql_differential: %s\n", s.ToString().c_str());
      std::abort();
    }
    return j;
  }();
  return *judge;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Finding> findings;
  Judge().Judge(text, &findings);
  if (!findings.empty()) {
    for (const auto& f : findings) {
      std::fprintf(stderr, "allowed by %s, but %s: %s\n", f.policy.c_str(), f.engine.c_str(), f.why.c_str());
    }
    std::abort();
  }
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  DialectTextGenerator gen(seed);
  std::string text(reinterpret_cast<const char*>(data), size);
  switch (seed % 4) {
    case 0:
      return LLVMFuzzerMutate(data, size, max_size);
    case 1:
      text = gen.Next();
      break;
    default:
      for (unsigned i = 0; i <= (seed >> 2) % 3; ++i) gen.InsertAtom(&text);
      break;
  }
  if (text.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}
