#include "kernel/policy.h"

namespace agentos {

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matcher with one backtrack point: O(|pattern| * |text|) worst
  // case, no recursion, no allocation.
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Policy::MatchesAgentScope(std::string_view agent_id) const {
  for (const auto& glob : agent_scope_) {
    if (GlobMatch(glob, agent_id)) return true;
  }
  return false;
}

}  // namespace agentos
