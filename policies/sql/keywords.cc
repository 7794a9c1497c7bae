#include "policies/sql/keywords.h"

namespace agentos::sql {

Keyword LookupKeyword(std::string_view word) {
  if (word.empty() || word.size() > keyword_detail::kMaxKeywordLength) return Keyword::kNone;
  char upper[keyword_detail::kMaxKeywordLength];
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') return Keyword::kNone;
    upper[i] = c;
  }
  std::uint64_t lo = 0, hi = 0;
  keyword_detail::Pack(std::string_view(upper, word.size()), lo, hi);
  return LookupPackedKeyword(lo, hi, word.size());
}

std::string_view KeywordName(Keyword kw) {
  auto i = static_cast<std::size_t>(kw);
  return i < std::size(keyword_detail::kNames) ? keyword_detail::kNames[i] : "";
}

}  // namespace agentos::sql
