// The analyzer is a streaming state machine over tokens with one token of
// lookahead and one frame per open parenthesis. A frame tracks the
// "segment" it is in: the statement (or sub-statement) that owns the tokens
// at that depth, so a WHERE is credited only to the UPDATE/DELETE at its own
// level. Sub-statements start at statement positions: the start of a
// statement, the first token inside `(`, after a CTE list, after EXPLAIN's
// options, and after the markers AS (CREATE/PREPARE), FOR (DECLARE), DO /
// INSTEAD / ALSO / BEGIN / ROW (rules, triggers) and THEN (MERGE arms).
#include "policies/sql/sql_analyzer.h"

#include "policies/sql/keywords.h"
#include "policies/sql/sql_lexer.h"

namespace agentos::sql {

std::string_view ProblemRule(Problem p) {
  switch (p) {
    case Problem::kNone: return "";
    case Problem::kEmpty: return "sql.empty";
    case Problem::kNulByte:
    case Problem::kInvalidUtf8:
    case Problem::kUnicodeSpace: return "sql.invalid_input";
    case Problem::kControlCharacter:
    case Problem::kUnterminatedString:
    case Problem::kUnterminatedIdentifier:
    case Problem::kUnterminatedComment:
    case Problem::kUnterminatedDollarQuote:
    case Problem::kUnbalancedParentheses: return "sql.lex_error";
    case Problem::kConditionalComment: return "sql.conditional_comment";
    case Problem::kNestedComment:
    case Problem::kAmbiguousDashComment:
    case Problem::kHashCharacter:
    case Problem::kAmbiguousCommentEnd:
    case Problem::kAmbiguousBackslash:
    case Problem::kAmbiguousDollarQuote:
    case Problem::kAmbiguousBracket:
    case Problem::kAmbiguousBacktick:
    case Problem::kAmbiguousNumber: return "sql.ambiguous";
    case Problem::kTooManyStatements:
    case Problem::kTooDeep: return "sql.too_complex";
  }
  return "sql.lex_error";
}

std::string_view ProblemMessage(Problem p) {
  switch (p) {
    case Problem::kNone: return "";
    case Problem::kEmpty: return "no SQL statement in the text";
    case Problem::kNulByte: return "NUL byte in SQL text";
    case Problem::kInvalidUtf8: return "invalid UTF-8 in SQL text";
    case Problem::kUnicodeSpace: return "Unicode space or invisible character inside a word";
    case Problem::kControlCharacter: return "control character outside strings and comments";
    case Problem::kUnterminatedString: return "unterminated string literal";
    case Problem::kUnterminatedIdentifier: return "unterminated quoted identifier";
    case Problem::kUnterminatedComment: return "unterminated /* comment";
    case Problem::kUnterminatedDollarQuote: return "unterminated dollar-quoted string";
    case Problem::kUnbalancedParentheses: return "unbalanced parentheses";
    case Problem::kConditionalComment:
      return "MySQL executable comment (/*! */, /*M! */ or /*+ */ hint)";
    case Problem::kNestedComment:
      return "nested /* comment: PostgreSQL nests comments, MySQL and SQLite do not";
    case Problem::kAmbiguousDashComment:
      return "'--' not followed by a space: not a comment in MySQL";
    case Problem::kHashCharacter: return "'#' starts a comment in MySQL but not elsewhere";
    case Problem::kAmbiguousCommentEnd:
      return "'--' comment holds \\r before more text on its line: PostgreSQL ends it at \\r, SQLite and MySQL at \\n";
    case Problem::kAmbiguousBackslash:
      return "backslash moves where this quoted text ends in some SQL dialects";
    case Problem::kAmbiguousDollarQuote:
      return "dollar-quoted text holds ; quotes or comments that non-PostgreSQL databases run as code";
    case Problem::kAmbiguousBracket:
      return "[...] holds quotes, comments or ';' (identifier in SQLite, subscript in PostgreSQL)";
    case Problem::kAmbiguousBacktick:
      return "`...` holds more than one plain name (identifier in MySQL and SQLite, operators and code in PostgreSQL)";
    case Problem::kAmbiguousNumber:
      return "letter, '_' or '$' glued to a number: PostgreSQL before 15 starts a new word there (1into is "
             "1 INTO), MySQL reads one name, SQLite refuses it";
    case Problem::kTooManyStatements: return "more statements than the analyzer's capacity (128)";
    case Problem::kTooDeep: return "parentheses nested deeper than 128";
  }
  return "";
}

namespace {

// How the first token of a (sub-)statement was reached; decides which
// keywords may start one there and whether read-only kinds count.
enum class Pos : std::uint8_t {
  kTop,           // start of a statement (also after `;` inside parentheses)
  kLead,          // first token in a `(` that starts a statement: (SELECT 1) UNION ...
  kGroup,         // first token in any other `(`: subqueries, CTE bodies
  kInner,         // after AS / FOR / DO / INSTEAD / ... markers, or `(` right after one
  kExplainInner,  // the statement an EXPLAIN explains
};

enum class Mode : std::uint8_t {
  kStatementStart,
  kGroupStart,
  kBody,
  kWithName,       // expecting a CTE name (or RECURSIVE)
  kWithAfterName,  // expecting `(columns)` or AS
  kWithColumns,    // inside the column list (set on the parent while the child runs)
  kWithExpectAs,
  kWithAs,         // after AS: [NOT] [MATERIALIZED] (
  kWithBody,       // inside the CTE body
  kWithAfterBody,  // `,` next CTE, SEARCH / CYCLE clause, or the main statement
  kWithSkipToSet,  // SEARCH ... SET col
  kWithSkipToUsing,  // CYCLE ... USING col
  kWithSkipOne,
  kExplainOptions,
  kExplainFormat,  // MySQL FORMAT = name
};

enum class Marker : std::uint8_t { kNone, kArm, kRule, kQuery };

// Trivially constructible so the frame stack costs nothing until used.
struct Frame {
  Mode mode;
  Pos pos;       // how this frame's group was entered (kGroup/kLead/kInner)
  Pos with_pos;  // position the pending WITH started at
  Marker marker;
  Kind seg;      // kUnknown: an expression, not a statement
  bool need_where;
  bool saw_where;
  bool is_select;
  bool in_create;  // AS / BEGIN / ROW mark statement positions
  bool nested;
};

constexpr Frame kFreshFrame{Mode::kStatementStart, Pos::kTop, Pos::kTop, Marker::kNone,
                            Kind::kUnknown, false, false, false, false, false};

constexpr StatementInfo kFreshStatement{0, Kind::kUnknown, false, false, false, 0};

bool IsQueryKind(Kind k) { return k == Kind::kSelect || k == Kind::kValues || k == Kind::kTable; }

// The kind a statement-leading keyword gives, or kUnknown.
Kind LeadingKind(Keyword kw) {
  switch (kw) {
    case Keyword::kSELECT: return Kind::kSelect;
    case Keyword::kINSERT: return Kind::kInsert;
    case Keyword::kUPDATE: return Kind::kUpdate;
    case Keyword::kDELETE: return Kind::kDelete;
    case Keyword::kMERGE: return Kind::kMerge;
    case Keyword::kREPLACE: return Kind::kReplace;
    case Keyword::kDROP: return Kind::kDrop;
    case Keyword::kTRUNCATE: return Kind::kTruncate;
    case Keyword::kALTER: return Kind::kAlter;
    case Keyword::kCREATE: return Kind::kCreate;
    case Keyword::kGRANT: return Kind::kGrant;
    case Keyword::kREVOKE: return Kind::kRevoke;
    case Keyword::kEXPLAIN:
    case Keyword::kDESCRIBE:
    case Keyword::kDESC: return Kind::kExplain;
    case Keyword::kPRAGMA: return Kind::kPragma;
    case Keyword::kATTACH: return Kind::kAttach;
    case Keyword::kDETACH: return Kind::kDetach;
    case Keyword::kVACUUM: return Kind::kVacuum;
    case Keyword::kBEGIN:
    case Keyword::kCOMMIT:
    case Keyword::kEND:
    case Keyword::kROLLBACK:
    case Keyword::kABORT:
    case Keyword::kSAVEPOINT:
    case Keyword::kRELEASE: return Kind::kTransaction;
    case Keyword::kSET: return Kind::kSet;
    case Keyword::kSHOW: return Kind::kShow;
    case Keyword::kCOPY: return Kind::kCopy;
    case Keyword::kCALL: return Kind::kCall;
    case Keyword::kDO: return Kind::kDo;
    case Keyword::kEXECUTE:
    case Keyword::kEXEC: return Kind::kExecute;
    case Keyword::kPREPARE: return Kind::kPrepare;
    case Keyword::kDEALLOCATE: return Kind::kDeallocate;
    case Keyword::kLOCK: return Kind::kLock;
    case Keyword::kCOMMENT: return Kind::kComment;
    case Keyword::kREINDEX: return Kind::kReindex;
    case Keyword::kANALYZE:
    case Keyword::kANALYSE: return Kind::kAnalyze;
    case Keyword::kVALUES: return Kind::kValues;
    case Keyword::kTABLE: return Kind::kTable;
    case Keyword::kRENAME: return Kind::kRename;
    case Keyword::kUSE: return Kind::kUse;
    case Keyword::kLOAD: return Kind::kLoad;
    case Keyword::kREFRESH: return Kind::kRefresh;
    case Keyword::kCLUSTER: return Kind::kCluster;
    case Keyword::kDISCARD: return Kind::kDiscard;
    case Keyword::kRESET: return Kind::kReset;
    case Keyword::kLISTEN:
    case Keyword::kUNLISTEN: return Kind::kListen;
    case Keyword::kNOTIFY: return Kind::kNotify;
    case Keyword::kIMPORT: return Kind::kImport;
    case Keyword::kCHECKPOINT: return Kind::kCheckpoint;
    case Keyword::kDECLARE: return Kind::kDeclare;
    case Keyword::kFETCH:
    case Keyword::kMOVE: return Kind::kFetch;
    case Keyword::kCLOSE: return Kind::kClose;
    default: return Kind::kUnknown;
  }
}

// The keywords Body() acts on, directly or as the first of a pair it
// looks back on (INSERT/UPDATE OR REPLACE, DUPLICATE KEY UPDATE). Any other
// token in a statement body without a pending marker changes nothing.
constexpr StopSet kActsInBody = {
    Keyword::kWHERE,   Keyword::kINTO,   Keyword::kDO,  Keyword::kINSTEAD,   Keyword::kALSO,
    Keyword::kTHEN,    Keyword::kFOR,    Keyword::kOR,  Keyword::kREPLACE,   Keyword::kINSERT,
    Keyword::kUPDATE,  Keyword::kKEY,    Keyword::kDUPLICATE,
};
// In CREATE and PREPARE bodies AS, BEGIN and ROW also mark statement positions.
constexpr StopSet kActsInCreateBody = {
    Keyword::kWHERE,   Keyword::kINTO,   Keyword::kDO,  Keyword::kINSTEAD,   Keyword::kALSO,
    Keyword::kTHEN,    Keyword::kFOR,    Keyword::kOR,  Keyword::kREPLACE,   Keyword::kINSERT,
    Keyword::kUPDATE,  Keyword::kKEY,    Keyword::kDUPLICATE, Keyword::kAS, Keyword::kBEGIN,
    Keyword::kROW,
};

// Tokens that change the statement or parenthesis structure.
bool IsStructural(TokenType t) {
  return static_cast<unsigned>(t) - static_cast<unsigned>(TokenType::kLeftParen) <= 2u;
}

bool IsName(const Token& t) {
  return t.type == TokenType::kWord || t.type == TokenType::kQuotedIdentifier;
}

// Reserved words that only ever follow an operand: `(update IS NULL)` uses a
// column named update, it does not start an UPDATE.
bool IsOperatorKeyword(Keyword kw) {
  switch (kw) {
    case Keyword::kAND: case Keyword::kOR: case Keyword::kIS: case Keyword::kIN:
    case Keyword::kNOT: case Keyword::kLIKE: case Keyword::kILIKE: case Keyword::kBETWEEN:
    case Keyword::kSIMILAR: case Keyword::kISNULL: case Keyword::kNOTNULL: case Keyword::kCOLLATE:
      return true;
    default:
      return false;
  }
}

// What may follow a keyword for it to start a sub-statement: a name (the
// table, INTO, FROM, a CTE name), not an operator or the end of an operand.
bool StartsOperand(const Token& next) {
  if (next.type == TokenType::kQuotedIdentifier) return true;
  return next.type == TokenType::kWord && !IsOperatorKeyword(next.keyword);
}

class Analyzer {
 public:
  Analyzer(std::string_view text, Analysis& out) : lexer_(text), out_(out) { frames_[0] = kFreshFrame; }

  void Run() {
    // Two token slots used in turn: the current token and its lookahead.
    Token slots[2];
    int cur = 0;
    lexer_.Next(&slots[cur]);
    while (slots[cur].type != TokenType::kEnd) {
      const Token& t = slots[cur];
      // The common case: operands (identifiers, literals, operators) in the
      // body of a statement change nothing, so the lexer skips them in one
      // tight loop. An operand in between breaks any keyword pair that
      // prev_/prev2_ look for.
      const Frame& top = frames_[depth_];
      if (top.mode == Mode::kBody && top.marker == Marker::kNone && !IsStructural(t.type)) {
        const StopSet& acts = top.in_create ? kActsInCreateBody : kActsInBody;
        if (t.keyword == Keyword::kNone || !acts.keywords.Has(t.keyword)) {
          // An empty `()` here would push a fresh frame and pop it again:
          // nothing is recorded unless the push itself is one too deep
          // (open_paren_at_ only matters for a `(` left open at depth 0,
          // which is not one of these).
          lexer_.SkipOperands(&slots[cur], acts, depth_ + 1 < frames_.size());
          prev_ = prev2_ = Keyword::kNone;
          continue;
        }
      }
      const Token& next = slots[cur ^ 1];
      lexer_.Next(&slots[cur ^ 1]);
      Step(t, next);
      if (stopped_) break;
      prev2_ = prev_;
      prev_ = t.keyword;
      cur ^= 1;
    }
    if (stopped_) return;
    if (lexer_.problem() != Problem::kNone) {
      Stop(lexer_.problem(), lexer_.problem_offset());
      return;
    }
    if (depth_ > 0) {
      Stop(Problem::kUnbalancedParentheses, static_cast<std::uint32_t>(open_paren_at_));
      return;
    }
    if (started_) FinishStatement();
    if (!stopped_ && out_.count == 0) Stop(Problem::kEmpty, 0);
  }

 private:
  Frame& Top() { return frames_[depth_]; }
  StatementInfo& Stmt() { return out_.statements[out_.count]; }

  void Stop(Problem p, std::uint32_t at) {
    if (stopped_) return;
    stopped_ = true;
    out_.problem = p;
    out_.problem_offset = at;
  }

  void Step(const Token& t, const Token& next) {
    if (!started_) {
      if (t.type == TokenType::kSemicolon) return;  // empty statement
      if (out_.count >= Analysis::kMaxStatements) {
        Stop(Problem::kTooManyStatements, t.begin);
        return;
      }
      started_ = true;
      primary_set_ = false;
      Stmt() = kFreshStatement;
      Stmt().offset = t.begin;
      frames_[0] = kFreshFrame;
    }
    switch (t.type) {
      case TokenType::kSemicolon:
        if (depth_ == 0) {
          FinishStatement();
        } else {
          EndSegment(Top());
          Top().mode = Mode::kStatementStart;
          Top().marker = Marker::kNone;
        }
        return;
      case TokenType::kLeftParen:
        Push(t);
        return;
      case TokenType::kRightParen:
        Pop(t);
        return;
      default:
        break;
    }
    Frame& f = Top();
    switch (f.mode) {
      case Mode::kStatementStart:
        StartAt(f, t, next, Pos::kTop);
        return;
      case Mode::kGroupStart:
        f.mode = Mode::kBody;
        if (StartAt(f, t, next, f.pos)) return;
        if (f.pos == Pos::kLead) {
          MarkUnknown(f);
          return;
        }
        Body(f, t, next);
        return;
      case Mode::kBody:
        Body(f, t, next);
        return;
      case Mode::kExplainOptions:
      case Mode::kExplainFormat:
        Explain(f, t, next);
        return;
      default:
        With(f, t, next);
        return;
    }
  }

  void Push(const Token& t) {
    if (depth_ + 1 >= frames_.size()) {
      Stop(Problem::kTooDeep, t.begin);
      return;
    }
    Frame& parent = Top();
    Pos child = Pos::kGroup;
    switch (parent.mode) {
      case Mode::kStatementStart:
        child = Pos::kLead;
        parent.mode = Mode::kBody;
        break;
      case Mode::kGroupStart:
        child = parent.pos;
        parent.mode = Mode::kBody;
        break;
      case Mode::kWithAfterName:
        parent.mode = Mode::kWithColumns;
        break;
      case Mode::kWithAs:
        parent.mode = Mode::kWithBody;
        break;
      case Mode::kWithAfterBody:
        child = parent.with_pos == Pos::kGroup ? Pos::kGroup : Pos::kLead;
        parent.mode = Mode::kBody;
        break;
      case Mode::kWithName:
      case Mode::kWithExpectAs:
        MarkUnknown(parent);
        break;
      case Mode::kBody:
        if (parent.marker == Marker::kRule || parent.marker == Marker::kQuery) child = Pos::kInner;
        parent.marker = Marker::kNone;
        break;
      default:
        break;
    }
    if (depth_ == 0) open_paren_at_ = t.begin;
    ++depth_;
    Frame& f = frames_[depth_];
    f = kFreshFrame;
    f.mode = Mode::kGroupStart;
    f.pos = child;
    f.nested = true;
  }

  void Pop(const Token& t) {
    if (depth_ == 0) {
      Stop(Problem::kUnbalancedParentheses, t.begin);
      return;
    }
    EndSegment(Top());
    --depth_;
    Frame& parent = Top();
    if (parent.mode == Mode::kWithBody) parent.mode = Mode::kWithAfterBody;
    else if (parent.mode == Mode::kWithColumns) parent.mode = Mode::kWithExpectAs;
  }

  void FinishStatement() {
    Frame& f = frames_[0];
    // A WITH list with no main statement, or an empty `()`, is not a statement.
    bool unfinished_with = f.mode >= Mode::kWithName && f.mode <= Mode::kWithSkipOne;
    if (unfinished_with || !primary_set_) MarkUnknown(f);
    EndSegment(f);
    ++out_.count;
    started_ = false;
    frames_[0] = kFreshFrame;  // kStatementStart: the next token starts a statement
  }

  void AddKind(Kind k) {
    Stmt().kinds |= Bit(k);
    if (k == Kind::kTable) Stmt().kinds |= Bit(Kind::kSelect);  // TABLE t reads t
  }

  void SetPrimary(Kind k) {
    if (primary_set_) return;
    primary_set_ = true;
    Stmt().primary = k;
  }

  void MarkUnknown(Frame& f) {
    AddKind(Kind::kUnknown);
    SetPrimary(Kind::kUnknown);
    f.mode = Mode::kBody;
    f.marker = Marker::kNone;
  }

  bool PrimaryPosition(Pos pos) const {
    return (pos == Pos::kTop && depth_ == 0) || pos == Pos::kLead;
  }

  void EndSegment(Frame& f) {
    if (f.need_where && !f.saw_where) {
      if (f.seg == Kind::kUpdate) Stmt().update_without_where = true;
      if (f.seg == Kind::kDelete) Stmt().delete_without_where = true;
      if (f.nested) Stmt().nested_without_where = true;
    }
    f.need_where = false;
    f.seg = Kind::kUnknown;
  }

  // Starts a new segment of kind `k` in frame f.
  void Begin(Frame& f, Kind k, Pos pos) {
    EndSegment(f);
    f.seg = k;
    f.need_where = k == Kind::kUpdate || k == Kind::kDelete;
    f.saw_where = false;
    f.is_select = k == Kind::kSelect;
    f.in_create = k == Kind::kCreate || k == Kind::kPrepare;
    f.nested = !(pos == Pos::kTop && depth_ == 0);
    f.mode = Mode::kBody;
    f.marker = Marker::kNone;
    if (PrimaryPosition(pos)) SetPrimary(k);
    // Read-only subqueries add no kind; everything at a statement position does.
    if (pos != Pos::kGroup || !IsQueryKind(k)) AddKind(k);
  }

  // Tries to start a (sub-)statement at token t. Returns false when t does
  // not start one at this position (then it is an ordinary body token). At
  // kTop every token is consumed: an unknown one makes the statement UNKNOWN.
  bool StartAt(Frame& f, const Token& t, const Token& next, Pos pos) {
    const bool full = pos == Pos::kTop || pos == Pos::kExplainInner;
    const Keyword kw = t.type == TokenType::kWord ? t.keyword : Keyword::kNone;
    switch (kw) {
      case Keyword::kSELECT:
        Begin(f, Kind::kSelect, pos);
        return true;
      case Keyword::kVALUES:
        if (!full && next.type != TokenType::kLeftParen) return false;
        Begin(f, Kind::kValues, pos);
        return true;
      case Keyword::kWITH:
        if (!full && !StartsOperand(next)) return false;
        EndSegment(f);
        f.mode = Mode::kWithName;
        f.with_pos = pos;
        f.marker = Marker::kNone;
        return true;
      case Keyword::kTABLE:
      case Keyword::kINSERT:
      case Keyword::kUPDATE:
      case Keyword::kDELETE:
      case Keyword::kMERGE:
      case Keyword::kREPLACE:
        if (!full && !StartsOperand(next)) return false;
        Begin(f, LeadingKind(kw), pos);
        return true;
      case Keyword::kNOTIFY:
        if (!full && pos != Pos::kInner) return false;
        Begin(f, Kind::kNotify, pos);
        return true;
      case Keyword::kEXECUTE:
        if (!full && pos != Pos::kInner) return false;
        Begin(f, Kind::kExecute, pos);
        return true;
      default:
        break;
    }
    if (!full) return false;
    switch (kw) {
      case Keyword::kEXPLAIN:
      case Keyword::kDESCRIBE:
      case Keyword::kDESC:
        EndSegment(f);
        if (PrimaryPosition(pos)) SetPrimary(Kind::kExplain);
        AddKind(Kind::kExplain);
        f.mode = Mode::kExplainOptions;
        f.marker = Marker::kNone;
        return true;
      case Keyword::kSTART:
        if (next.keyword != Keyword::kTRANSACTION) break;
        Begin(f, Kind::kTransaction, pos);
        return true;
      case Keyword::kPREPARE:
        Begin(f, next.keyword == Keyword::kTRANSACTION ? Kind::kTransaction : Kind::kPrepare, pos);
        return true;
      default: {
        Kind k = LeadingKind(kw);
        if (k == Kind::kUnknown) break;
        Begin(f, k, pos);
        return true;
      }
    }
    if (pos == Pos::kExplainInner) return false;
    EndSegment(f);
    MarkUnknown(f);
    return true;
  }

  void Body(Frame& f, const Token& t, const Token& next) {
    if (f.marker != Marker::kNone) {
      Marker m = f.marker;
      f.marker = Marker::kNone;
      if (MarkerStart(f, m, t, next)) return;
    }
    if (t.type != TokenType::kWord) return;
    switch (t.keyword) {
      case Keyword::kWHERE:
        f.saw_where = true;
        break;
      case Keyword::kINTO:
        if (f.is_select) AddKind(Kind::kCreate);  // SELECT ... INTO new_table
        break;
      case Keyword::kDO:
      case Keyword::kINSTEAD:
      case Keyword::kALSO:
        f.marker = Marker::kRule;
        break;
      case Keyword::kTHEN:
        f.marker = Marker::kArm;
        break;
      case Keyword::kAS:
        if (f.in_create) f.marker = Marker::kQuery;
        break;
      case Keyword::kBEGIN:
      case Keyword::kROW:
        if (f.in_create) f.marker = Marker::kRule;  // trigger bodies
        break;
      case Keyword::kFOR:
        if (f.seg == Kind::kDeclare) f.marker = Marker::kQuery;  // DECLARE c CURSOR FOR <query>
        break;
      case Keyword::kREPLACE:  // INSERT OR REPLACE, UPDATE OR REPLACE (SQLite)
        if (prev_ == Keyword::kOR && (prev2_ == Keyword::kINSERT || prev2_ == Keyword::kUPDATE)) {
          AddKind(Kind::kReplace);
        }
        break;
      case Keyword::kUPDATE:  // MySQL ON DUPLICATE KEY UPDATE
        if (prev_ == Keyword::kKEY && prev2_ == Keyword::kDUPLICATE) AddKind(Kind::kUpdate);
        break;
      default:
        break;
    }
  }

  // True if t, right after a marker, starts a sub-statement or arm.
  bool MarkerStart(Frame& f, Marker m, const Token& t, const Token& next) {
    const Keyword kw = t.type == TokenType::kWord ? t.keyword : Keyword::kNone;
    const Keyword nkw = next.type == TokenType::kWord ? next.keyword : Keyword::kNone;
    if (m == Marker::kArm || m == Marker::kRule) {
      // ON CONFLICT ... DO UPDATE SET / MERGE ... THEN UPDATE SET: an arm of
      // the statement, keyed on its conflict or join, so no WHERE rule.
      if (kw == Keyword::kUPDATE && nkw == Keyword::kSET) {
        AddKind(Kind::kUpdate);
        return true;
      }
    }
    if (m == Marker::kArm) {
      const bool ends_expression = nkw == Keyword::kEND || nkw == Keyword::kELSE;
      if (kw == Keyword::kDELETE && !ends_expression && !IsOperatorKeyword(nkw) &&
          (next.type == TokenType::kEnd || next.type == TokenType::kSemicolon ||
           next.type == TokenType::kRightParen || next.type == TokenType::kWord)) {
        AddKind(Kind::kDelete);
        return true;
      }
      if (kw == Keyword::kINSERT && !ends_expression && nkw != Keyword::kWHEN &&
          (next.type == TokenType::kLeftParen || StartsOperand(next))) {
        AddKind(Kind::kInsert);
        return true;
      }
      return false;
    }
    // A trigger's EXECUTE FUNCTION names what it will call; it runs nothing now.
    if (m == Marker::kRule && kw == Keyword::kEXECUTE) return false;
    return StartAt(f, t, next, Pos::kInner);
  }

  void With(Frame& f, const Token& t, const Token& next) {
    const Keyword kw = t.type == TokenType::kWord ? t.keyword : Keyword::kNone;
    switch (f.mode) {
      case Mode::kWithName:
        if (kw == Keyword::kRECURSIVE && IsName(next) && next.keyword != Keyword::kAS) return;
        if (IsName(t)) {
          f.mode = Mode::kWithAfterName;
          return;
        }
        MarkUnknown(f);
        return;
      case Mode::kWithAfterName:
      case Mode::kWithExpectAs:
        if (kw == Keyword::kAS) {
          f.mode = Mode::kWithAs;
          return;
        }
        MarkUnknown(f);
        return;
      case Mode::kWithAs:
        if (kw == Keyword::kNOT || kw == Keyword::kMATERIALIZED) return;
        MarkUnknown(f);
        return;
      case Mode::kWithAfterBody:
        if (t.type == TokenType::kComma) {
          f.mode = Mode::kWithName;
          return;
        }
        if (kw == Keyword::kSEARCH) {
          f.mode = Mode::kWithSkipToSet;
          return;
        }
        if (kw == Keyword::kCYCLE) {
          f.mode = Mode::kWithSkipToUsing;
          return;
        }
        // The main statement: a top-level WITH's is the statement itself.
        if (!StartAt(f, t, next, f.with_pos)) MarkUnknown(f);
        return;
      case Mode::kWithSkipToSet:
        if (kw == Keyword::kSET) f.mode = Mode::kWithSkipOne;
        return;
      case Mode::kWithSkipToUsing:
        if (kw == Keyword::kUSING) f.mode = Mode::kWithSkipOne;
        return;
      case Mode::kWithSkipOne:
        f.mode = Mode::kWithAfterBody;
        return;
      default:
        // kWithColumns / kWithBody are only seen from inside the child frame.
        MarkUnknown(f);
        return;
    }
  }

  void Explain(Frame& f, const Token& t, const Token& next) {
    const Keyword kw = t.type == TokenType::kWord ? t.keyword : Keyword::kNone;
    if (f.mode == Mode::kExplainFormat) {
      // FORMAT = JSON / FORMAT JSON: skip the `=` and the name.
      if (t.type == TokenType::kOperator) return;
      f.mode = Mode::kExplainOptions;
      return;
    }
    switch (kw) {
      case Keyword::kANALYZE:
      case Keyword::kANALYSE:
      case Keyword::kVERBOSE:
      case Keyword::kQUERY:
      case Keyword::kPLAN:
        return;
      case Keyword::kFORMAT:
        f.mode = Mode::kExplainFormat;
        return;
      default:
        break;
    }
    // Anything else that starts a statement is what gets explained (and, for
    // EXPLAIN ANALYZE, run). Other words (MySQL EXPLAIN tbl, options we do
    // not know) are skipped: the explained statement is still found after them.
    if (kw != Keyword::kNone && (LeadingKind(kw) != Kind::kUnknown || kw == Keyword::kWITH ||
                                 kw == Keyword::kSTART)) {
      StartAt(f, t, next, Pos::kExplainInner);
    }
  }

  Lexer lexer_;
  Analysis& out_;
  std::array<Frame, Analysis::kMaxDepth + 1> frames_;  // [0, depth_] are live
  std::size_t depth_ = 0;
  std::size_t open_paren_at_ = 0;
  bool started_ = false;
  bool primary_set_ = false;
  bool stopped_ = false;
  Keyword prev_ = Keyword::kNone;
  Keyword prev2_ = Keyword::kNone;
};

}  // namespace

void Analyze(std::string_view text, Analysis& out) {
  out.problem = Problem::kNone;
  out.problem_offset = 0;
  out.count = 0;
  if (text.size() > 0xFFFFFFFFu) {
    out.problem = Problem::kTooManyStatements;
    return;
  }
  if (Problem p = CheckEncoding(text, &out.problem_offset); p != Problem::kNone) {
    out.problem = p;
    return;
  }
  Analyzer(text, out).Run();
}

}  // namespace agentos::sql
