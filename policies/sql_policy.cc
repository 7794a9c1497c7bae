// SQLPolicy: allow/deny lists over statement kinds plus the WHERE rules,
// applied to the analysis of policies/sql/sql_analyzer.h.
#include "policies/sql_policy.h"

#include <array>

#include "policies/sql/sql_analyzer.h"
#include "policies/sql/statement_kind.h"

namespace agentos {

namespace {

using sql::Analysis;
using sql::Kind;
using sql::KindSet;
using sql::kKindCount;

constexpr std::array<std::string_view, 12> kRuleIds = {
    kSqlRuleDeniedKind,      kSqlRuleNotAllowed,  kSqlRuleUpdateWithoutWhere,
    kSqlRuleDeleteWithoutWhere, kSqlRuleUnknownStatement, kSqlRuleLexError,
    kSqlRuleInvalidInput,    kSqlRuleTooLong,     kSqlRuleEmpty,
    kSqlRuleConditionalComment, kSqlRuleAmbiguous, kSqlRuleTooComplex,
};

constexpr std::array<Kind, 12> kDefaultDeny = {
    Kind::kDrop, Kind::kTruncate, Kind::kAlter, Kind::kGrant, Kind::kRevoke, Kind::kAttach,
    Kind::kDetach, Kind::kRename, Kind::kCopy, Kind::kLoad, Kind::kDo, Kind::kImport,
};

Severity RuleDefaultSeverity(std::string_view rule) {
  if (rule == kSqlRuleEmpty || rule == kSqlRuleDeniedKind || rule == kSqlRuleNotAllowed) {
    return Severity::kMedium;
  }
  return Severity::kHigh;
}

Severity Max(Severity a, Severity b) { return a < b ? b : a; }

// Looks up a configured severity by exact key.
const Severity* Configured(const SqlPolicyConfig& c, std::string_view key) {
  auto it = c.severities.find(std::string(key));
  return it == c.severities.end() ? nullptr : &it->second;
}

class SqlPolicy final : public Policy {
 public:
  SqlPolicy(std::string name, const SqlPolicyConfig& c, KindSet allow, KindSet deny)
      : Policy(std::move(name)),
        allow_(allow),
        deny_(deny),
        require_where_update_(c.require_where_on_update),
        require_where_delete_(c.require_where_on_delete),
        max_length_(c.max_length) {
    for (std::size_t r = 0; r < kRuleIds.size(); ++r) {
      const Severity* s = Configured(c, kRuleIds[r]);
      rule_severity_[r] = s ? *s : RuleDefaultSeverity(kRuleIds[r]);
    }
    const Severity* denied_rule = Configured(c, kSqlRuleDeniedKind);
    const Severity* not_allowed_rule = Configured(c, kSqlRuleNotAllowed);
    for (int i = 0; i < kKindCount; ++i) {
      Kind k = static_cast<Kind>(i);
      Severity base = sql::DefaultKindSeverity(k);
      const Severity* by_kind = Configured(c, sql::KindName(k));
      denied_severity_[i] = by_kind ? *by_kind
                            : denied_rule ? *denied_rule
                                          : Max(base, RuleDefaultSeverity(kSqlRuleDeniedKind));
      not_allowed_severity_[i] = by_kind ? *by_kind
                                 : not_allowed_rule ? *not_allowed_rule
                                                    : Max(base, RuleDefaultSeverity(kSqlRuleNotAllowed));
    }
  }

  std::string_view type() const override { return "sql"; }

  void Evaluate(const Action& action, const EpisodeState&, Decision& out) const override {
    if (action.kind != ActionKind::kSql) return;
    std::string_view text = action.payload;
    if (text.size() > max_length_) {
      Add(out, kSqlRuleTooLong)
          .Append("SQL text is ")
          .Append(static_cast<std::int64_t>(text.size()))
          .Append(" bytes, more than the limit of ")
          .Append(static_cast<std::int64_t>(max_length_));
      return;
    }
    Analysis analysis;  // fixed size, on the stack: the check path never allocates
    sql::Analyze(text, analysis);
    if (analysis.problem != sql::Problem::kNone) {
      Violation& v = Add(out, sql::ProblemRule(analysis.problem));
      v.Append(sql::ProblemMessage(analysis.problem));
      if (analysis.problem != sql::Problem::kEmpty) {
        v.Append(" at byte ").Append(static_cast<std::int64_t>(analysis.problem_offset));
      }
      // What was understood before the problem is still judged below, so the
      // reasons show everything found.
    }
    for (std::uint32_t i = 0; i < analysis.count; ++i) {
      EvaluateStatement(text, i + 1, analysis.statements[i], out);
    }
  }

 private:
  static std::size_t RuleIndex(std::string_view rule) {
    for (std::size_t r = 0; r < kRuleIds.size(); ++r) {
      if (kRuleIds[r] == rule) return r;
    }
    return 0;
  }

  Violation& Add(Decision& out, std::string_view rule) const {
    std::size_t r = RuleIndex(rule);
    return out.Add(name(), kRuleIds[r], rule_severity_[r]);
  }

  void EvaluateStatement(std::string_view text, std::uint32_t number, const sql::StatementInfo& s,
                         Decision& out) const {
    if (Has(s.kinds, Kind::kUnknown)) {
      Violation& v = Add(out, kSqlRuleUnknownStatement);
      v.Append("statement ").Append(static_cast<std::int64_t>(number));
      if (s.primary == Kind::kUnknown) {
        v.Append(" is of no known kind: ").AppendQuoted(text.substr(s.offset), 40);
      } else {
        v.Append(" (").Append(sql::KindName(s.primary)).Append(") runs a statement of no known kind");
      }
    }
    KindSet known = s.kinds & ~sql::Bit(Kind::kUnknown);
    KindSet denied = known & deny_;
    KindSet not_allowed = allow_ != 0 ? (known & ~allow_ & ~deny_) : 0;
    for (KindSet rest = denied | not_allowed; rest != 0; rest &= rest - 1) {
      int i = __builtin_ctzll(rest);
      Kind k = static_cast<Kind>(i);
      bool is_denied = (denied >> i) & 1;
      Violation& v = out.Add(name(), is_denied ? kSqlRuleDeniedKind : kSqlRuleNotAllowed,
                             is_denied ? denied_severity_[i] : not_allowed_severity_[i]);
      v.Append("statement ").Append(static_cast<std::int64_t>(number));
      if (k == s.primary) {
        v.Append(" is ").Append(sql::KindName(k));
      } else {
        v.Append(" (").Append(sql::KindName(s.primary)).Append(") also runs ").Append(sql::KindName(k));
      }
      v.Append(is_denied ? ", which is denied" : ", which is not in the allow list");
    }
    if (require_where_update_ && s.update_without_where) {
      AddWhere(out, kSqlRuleUpdateWithoutWhere, "UPDATE", number, s);
    }
    if (require_where_delete_ && s.delete_without_where) {
      AddWhere(out, kSqlRuleDeleteWithoutWhere, "DELETE", number, s);
    }
  }

  void AddWhere(Decision& out, std::string_view rule, std::string_view what, std::uint32_t number,
                const sql::StatementInfo& s) const {
    Violation& v = Add(out, rule);
    v.Append("statement ").Append(static_cast<std::int64_t>(number)).Append(": ").Append(what);
    v.Append(s.nested_without_where ? " (nested: CTE, EXPLAIN, PREPARE or rule action)" : "");
    v.Append(" without a WHERE clause at statement level");
  }

  KindSet allow_;
  KindSet deny_;
  bool require_where_update_;
  bool require_where_delete_;
  std::size_t max_length_;
  std::array<Severity, kRuleIds.size()> rule_severity_{};
  std::array<Severity, kKindCount> denied_severity_{};
  std::array<Severity, kKindCount> not_allowed_severity_{};
};

Status ParseKinds(const std::vector<std::string>& names, std::string_view list, KindSet* out) {
  *out = 0;
  for (const auto& n : names) {
    auto k = sql::ParseKindName(n);
    if (!k) {
      std::string msg = "SQL policy " + std::string(list) + ": unknown statement kind '" + n + "'";
      static constexpr std::string_view kTxn[] = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
                                                  "RELEASE", "START", "END", "ABORT"};
      for (auto t : kTxn) {
        std::string upper = n;
        for (auto& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        if (upper == t) msg += " (transaction control is the kind TRANSACTION)";
      }
      return Status::InvalidArgument(msg);
    }
    *out |= sql::Bit(*k);
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> DefaultSqlDenyList() {
  std::vector<std::string> names;
  for (Kind k : kDefaultDeny) names.emplace_back(sql::KindName(k));
  return names;
}

bool IsSqlStatementKindName(std::string_view name) { return sql::ParseKindName(name).has_value(); }

bool IsSqlRuleId(std::string_view rule) {
  for (auto r : kRuleIds) {
    if (r == rule) return true;
  }
  return false;
}

Status MakeSqlPolicy(std::string name, const SqlPolicyConfig& config, std::unique_ptr<Policy>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeSqlPolicy: out is null");
  KindSet allow = 0, deny = 0;
  if (Status s = ParseKinds(config.allow, "allow", &allow); !s.ok()) return s;
  if (Status s = ParseKinds(config.deny, "deny", &deny); !s.ok()) return s;
  for (const auto& [key, severity] : config.severities) {
    (void)severity;
    if (!IsSqlStatementKindName(key) && !IsSqlRuleId(key)) {
      return Status::InvalidArgument("SQL policy severities: '" + key +
                                     "' is neither a statement kind nor an sql.* rule id");
    }
  }
  if (config.max_length == 0) return Status::InvalidArgument("SQL policy max_length must be > 0");
  if (config.deny.empty() && config.use_default_deny) {
    // A kind the config allows by name is not denied behind its back.
    for (Kind k : kDefaultDeny) deny |= sql::Bit(k) & ~allow;
  }
  // Severity keys may be spelled in any case for kinds; normalise to the
  // canonical upper-case name the policy looks up.
  SqlPolicyConfig normalised = config;
  normalised.severities.clear();
  for (const auto& [key, severity] : config.severities) {
    auto k = sql::ParseKindName(key);
    normalised.severities[k ? std::string(sql::KindName(*k)) : key] = severity;
  }
  *out = std::make_unique<SqlPolicy>(std::move(name), normalised, allow, deny);
  return Status::Ok();
}

}  // namespace agentos
