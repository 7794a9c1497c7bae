#include "policies/yaml_document.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <string>
#include <vector>

#include "kernel/utf8.h"

namespace agentos::yaml {
namespace {

// The 0-based line and column of byte `offset`, as yaml-cpp would report it.
YAML::Mark MarkAt(std::string_view text, std::size_t offset) {
  YAML::Mark mark;
  mark.pos = static_cast<int>(offset);
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      line_start = i + 1;
    }
  }
  mark.column = static_cast<int>(offset - line_start);
  return mark;
}

void CheckEncoding(const Source& source, std::string_view text) {
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    source.Fail(MarkAt(text, nul), "NUL byte in policy text");
  }
  if (const std::size_t bad = FindInvalidUtf8(text); bad != text.size()) {
    source.Fail(MarkAt(text, bad), "policy text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Finds flow collections nested deeper than kMaxFlowDepth without parsing:
// skips comments and quoted scalars, counts '[' and '{' where YAML can open
// a collection (anywhere inside one, at a token start outside). It only has
// to be conservative about depth, not a YAML parser: a miscount can at worst
// refuse a file that no valid policy file resembles, or leave the limit to
// yaml-cpp's own recursion guard.
void CheckFlowDepth(const Source& source, std::string_view text) {
  int depth = 0;
  char prev = '\n';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool token_start = IsSpace(prev) || prev == '[' || prev == '{' || prev == ',' || prev == ':';
    if (c == '#' && IsSpace(prev)) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      prev = ' ';
      continue;
    }
    if ((c == '\'' || c == '"') && (token_start || prev == '-' || prev == '?')) {
      for (++i; i < text.size(); ++i) {
        if (c == '"' && text[i] == '\\') {
          ++i;
        } else if (text[i] == c) {
          if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;  // '' is an escaped quote
          } else {
            break;
          }
        }
      }
      prev = c;
      continue;
    }
    if ((c == '[' || c == '{') && (depth > 0 || token_start)) {
      if (++depth > kMaxFlowDepth) {
        source.Fail(MarkAt(text, i), "flow collections ([...] / {...}) nested deeper than " +
                                         std::to_string(kMaxFlowDepth) + " levels");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    prev = c;
  }
}

// Records where documents start and ignores their content.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Parses the whole text for syntax errors and counts its documents, up to
// two. yaml-cpp 0.7's own YAML::LoadAll loops forever (allocating as it
// goes) on a stray top-level ',': the parser then reports an empty document
// again and again without consuming anything. Such a repeat, a second
// document starting where the first did, is reported as a syntax error.
std::size_t CountDocuments(const Source& source, const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
  }
  if (starts.marks.size() == 2 && starts.marks[1].pos == starts.marks[0].pos) {
    source.Fail(starts.marks[0], "YAML syntax error: unexpected token (a ',' outside [...] or {...}?)");
  }
  if (starts.marks.size() > 1) {
    source.Fail(starts.marks[1], "a policy file holds exactly one YAML document; found more "
                                 "(remove the '---' separators)");
  }
  return starts.marks.size();
}

}  // namespace

YAML::Node ParseOneDocument(const Source& source, std::string_view text) {
  if (text.size() > kMaxPolicyBytes) {
    source.Fail(YAML::Mark(), "policy text is " + std::to_string(text.size()) + " bytes; the limit is " +
                                  std::to_string(kMaxPolicyBytes) + " (1 MiB)");
  }
  CheckEncoding(source, text);
  CheckFlowDepth(source, text);
  const std::string copy(text);
  try {
    if (CountDocuments(source, copy) == 0) {
      source.Fail(YAML::Mark(), "the policy text is empty (no YAML document); expected a mapping with "
                                "'version' and 'policies'");
    }
    return YAML::Load(copy);  // the first and only document
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own guard (block nesting like "- - - - ..."); its message
    // is only "bad file".
    source.Fail(e.mark, "YAML nested more than " + std::to_string(e.depth() - 1) + " levels deep");
  } catch (const YAML::Exception& e) {
    source.Fail(e.mark, "YAML syntax error: " + e.msg);
  }
}

}  // namespace agentos::yaml
