#include "kernel/recorder/audit_stats.h"

#include <sqlite3.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/json_headers.h"
#include "kernel/utf8.h"

namespace agentos {
namespace {

// Runs a query and hands each row to `row`; a SQLite failure is a damaged file.
template <typename RowFn>
Status Query(AuditStore& store, const char* sql, RowFn row) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(store.db(), sql, -1, &s, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(store.db());
    sqlite3_finalize(s);
    return Status::ParseError(store.name() + ": cannot read (" + msg + ")");
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  std::string msg = sqlite3_errmsg(store.db());
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return Status::ParseError(store.name() + ": damaged SQLite file (" + msg + ")");
  return Status::Ok();
}

std::uint64_t U64(sqlite3_stmt* s, int c) { return static_cast<std::uint64_t>(sqlite3_column_int64(s, c)); }

std::string Text(sqlite3_stmt* s, int c) {
  const void* p = sqlite3_column_blob(s, c);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), sqlite3_column_bytes(s, c));
}

}  // namespace

Status ComputeStats(AuditStore& store, const LogHeader& header, AuditStats* out) {
  AuditStats st;
  st.level = header.level;
  st.sample_rate = header.sample_rate;
  st.keyed = header.keyed;
  sqlite3_exec(store.db(), "BEGIN", nullptr, nullptr, nullptr);  // one snapshot for every query
  struct EndSnapshot {
    sqlite3* db;
    ~EndSnapshot() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end{store.db()};
  Status s = Query(store,
                   "SELECT count(*), sum(total_violations > 0), sum(allowed = 0), sum(total_violations), "
                   "min(seq), max(seq), min(time_ns), max(time_ns) FROM records",
                   [&](sqlite3_stmt* q) {
                     st.records = U64(q, 0);
                     st.violating_records = U64(q, 1);
                     st.blocked_records = U64(q, 2);
                     st.violations = U64(q, 3);
                     st.first_seq = U64(q, 4);
                     st.last_seq = U64(q, 5);
                     st.first_time_ns = sqlite3_column_int64(q, 6);
                     st.last_time_ns = sqlite3_column_int64(q, 7);
                   });
  if (!s.ok()) return s;
  s = Query(store, "SELECT policy, count(*), count(DISTINCT seq), sum(blocked) FROM violations GROUP BY policy",
            [&](sqlite3_stmt* q) {
              PolicyStats& p = st.by_policy[Text(q, 0)];
              p.violations = U64(q, 1);
              p.records = U64(q, 2);
              p.blocked = U64(q, 3);
              st.kept_violations += p.violations;
            });
  if (!s.ok()) return s;
  s = Query(store, "SELECT policy, rule, count(*) FROM violations GROUP BY policy, rule",
            [&](sqlite3_stmt* q) { st.by_rule[Text(q, 0) + "/" + Text(q, 1)] = U64(q, 2); });
  if (!s.ok()) return s;
  s = Query(store, "SELECT severity, count(*) FROM violations GROUP BY severity", [&](sqlite3_stmt* q) {
    std::int64_t sev = sqlite3_column_int64(q, 0);
    if (sev >= 0 && sev < kSeverityCount) st.by_severity[static_cast<std::size_t>(sev)] = U64(q, 1);
  });
  if (!s.ok()) return s;
  s = Query(store, "SELECT records, decisions, closed FROM checkpoints ORDER BY records DESC, closed DESC LIMIT 1",
            [&](sqlite3_stmt* q) {
              st.checkpoint_records = U64(q, 0);
              st.decisions_seen = U64(q, 1);
              st.closed = sqlite3_column_int64(q, 2) == 1;
            });
  if (!s.ok()) return s;

  if (st.level == RecordLevel::kAll) {
    st.rate_basis = "records";
    if (st.records > 0) st.violation_rate = static_cast<double>(st.violating_records) / static_cast<double>(st.records);
  } else if (st.decisions_seen && *st.decisions_seen > 0) {
    st.rate_basis = "decisions_seen";
    st.violation_rate = static_cast<double>(st.violating_records) / static_cast<double>(*st.decisions_seen);
  } else {
    st.rate_basis = "unknown";
  }
  *out = std::move(st);
  return Status::Ok();
}

Status ComputeStats(const std::string& path, AuditStats* out) {
  std::unique_ptr<AuditStore> store;
  LogHeader header;
  Status s = AuditStore::OpenForRead(path, &header, &store);
  if (!s.ok()) return s;
  return ComputeStats(*store, header, out);
}

std::string StatsToJson(const AuditStats& st) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const std::string& s) {
    std::string safe = ToValidUtf8(s);
    w.String(safe.data(), static_cast<rapidjson::SizeType>(safe.size()));
  };
  w.StartObject();
  w.Key("level");
  str(std::string(ToString(st.level)));
  w.Key("sample_rate");
  w.Double(st.sample_rate);
  w.Key("keyed");
  w.Bool(st.keyed);
  w.Key("records");
  w.Uint64(st.records);
  w.Key("decisions_seen");
  if (st.decisions_seen) w.Uint64(*st.decisions_seen); else w.Null();
  w.Key("checkpoint_records");
  w.Uint64(st.checkpoint_records);
  w.Key("closed");
  w.Bool(st.closed);
  w.Key("violating_records");
  w.Uint64(st.violating_records);
  w.Key("blocked_records");
  w.Uint64(st.blocked_records);
  w.Key("violations");
  w.Uint64(st.violations);
  w.Key("kept_violations");
  w.Uint64(st.kept_violations);
  w.Key("violation_rate");
  if (st.violation_rate) w.Double(*st.violation_rate); else w.Null();
  w.Key("rate_basis");
  str(st.rate_basis);
  w.Key("first_seq");
  w.Uint64(st.first_seq);
  w.Key("last_seq");
  w.Uint64(st.last_seq);
  w.Key("first_time_ns");
  w.Int64(st.first_time_ns);
  w.Key("last_time_ns");
  w.Int64(st.last_time_ns);
  w.Key("by_policy");
  w.StartObject();
  for (const auto& [name, p] : st.by_policy) {
    str(name);
    w.StartObject();
    w.Key("violations");
    w.Uint64(p.violations);
    w.Key("records");
    w.Uint64(p.records);
    w.Key("blocked");
    w.Uint64(p.blocked);
    w.EndObject();
  }
  w.EndObject();
  w.Key("by_rule");
  w.StartObject();
  for (const auto& [name, n] : st.by_rule) {
    str(name);
    w.Uint64(n);
  }
  w.EndObject();
  w.Key("by_severity");
  w.StartObject();
  for (int i = 0; i < kSeverityCount; ++i) {
    str(std::string(ToString(static_cast<Severity>(i))));
    w.Uint64(st.by_severity[static_cast<std::size_t>(i)]);
  }
  w.EndObject();
  w.Key("verified");
  w.Bool(false);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string StatsToText(const AuditStats& st) {
  std::ostringstream o;
  o << "level:             " << ToString(st.level);
  if (st.level == RecordLevel::kViolations) {
    o << " (every decision with a violation, plus " << st.sample_rate * 100.0 << "% of the others)";
  } else {
    o << " (every decision)";
  }
  o << "\nhash:              " << (st.keyed ? "HMAC-SHA-256" : "SHA-256") << "\n";
  o << "records:           " << st.records;
  if (st.records > 0) o << " (seq " << st.first_seq << ".." << st.last_seq << ")";
  o << "\ndecisions seen:    ";
  if (st.decisions_seen) {
    o << *st.decisions_seen << " (as of the checkpoint at record " << st.checkpoint_records
      << (st.closed ? ", closed" : ", log not closed") << ")";
  } else {
    o << "unknown (no checkpoint)";
  }
  o << "\nviolating records: " << st.violating_records << "\nblocked records:   " << st.blocked_records
    << "\nviolations:        " << st.violations << " (" << st.kept_violations << " kept with details)\n";
  o << "violation rate:    ";
  if (st.violation_rate) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f%%", *st.violation_rate * 100.0);
    o << buf << " of " << (st.rate_basis == "records" ? "records" : "decisions seen");
  } else {
    o << "unknown";
  }
  o << "\nby severity:      ";
  for (int i = kSeverityCount - 1; i >= 0; --i) {
    o << " " << ToString(static_cast<Severity>(i)) << "=" << st.by_severity[static_cast<std::size_t>(i)];
  }
  o << "\nby policy:\n";
  if (st.by_policy.empty()) o << "  (none)\n";
  for (const auto& [name, p] : st.by_policy) {
    o << "  " << ToValidUtf8(name) << ": " << p.violations << " violation(s) in " << p.records << " record(s), "
      << p.blocked << " blocking\n";
  }
  o << "by rule:\n";
  if (st.by_rule.empty()) o << "  (none)\n";
  for (const auto& [name, n] : st.by_rule) o << "  " << ToValidUtf8(name) << ": " << n << "\n";
  o << "(statistics do not verify the log: run `agentos audit verify`)\n";
  return o.str();
}

}  // namespace agentos
