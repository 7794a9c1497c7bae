// Decisions as JSON, one object per line: what `agentos check` prints.
//
//   {"line":3,"allowed":false,"violations":[{"policy":"sql_safety","rule":"sql.denied_kind",
//     "severity":"critical","blocked":true,"reason":"..."}]}
//   {"line":7,"allowed":false,"error":"invalid JSON at column 3: ...","violations":[]}
//
// "line" is the number of the input line the decision is for (from 1), so
// filtered output can be joined back to its input.
//
// "total_violations" is added only when the kernel found more violations
// than a decision keeps. Output is always valid UTF-8: bytes that are not
// (a reason cut inside a character, say) become U+FFFD.
#ifndef AGENTOS_BINDINGS_CLI_DECISION_JSON_H_
#define AGENTOS_BINDINGS_CLI_DECISION_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "kernel/rapidjson.h"
#include "kernel/decision.h"

namespace agentos::cli {

// Reuses its buffers: after the first lines, writing allocates nothing.
class DecisionJsonWriter {
 public:
  // Each returns the JSON text (no newline), valid until the next call.
  std::string_view Write(std::size_t line, const Decision& decision);
  std::string_view WriteError(std::size_t line, std::string_view error);

 private:
  rapidjson::StringBuffer buf_;
  std::string scratch_;
};

// Writes "allowed", "violations" (and "total_violations" when some were not
// kept) into an open object: the decision part of every line the CLI prints.
void WriteDecisionMembers(rapidjson::Writer<rapidjson::StringBuffer>& w, const Decision& decision,
                          std::string* scratch);

// `text` if it is valid UTF-8; otherwise a copy in *scratch with every
// invalid byte replaced by U+FFFD.
std::string_view ValidUtf8(std::string_view text, std::string* scratch);

}  // namespace agentos::cli

#endif  // AGENTOS_BINDINGS_CLI_DECISION_JSON_H_
