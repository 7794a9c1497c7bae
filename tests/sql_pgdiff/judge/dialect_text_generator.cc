#include "tests/sql_pgdiff/judge/dialect_text_generator.h"

namespace agentos::sqljudge {

namespace {

std::string Utf8(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

Atoms BuildAtoms() {
  Atoms a;
  for (int c = 0; c <= 0x20; ++c) a.separators.push_back(std::string(1, static_cast<char>(c)));
  a.separators.push_back("\x7f");
  // Unicode spaces, line and paragraph separators, and invisible characters
  // some engine or client might read as space.
  for (std::uint32_t cp : {0x0085u, 0x00A0u, 0x00ADu, 0x034Fu, 0x115Fu, 0x1160u, 0x1680u, 0x180Eu, 0x2028u,
                           0x2029u, 0x205Fu, 0x2060u, 0x3000u, 0x3164u, 0xFEFFu, 0xFFA0u}) {
    a.separators.push_back(Utf8(cp));
  }
  for (std::uint32_t cp = 0x2000; cp <= 0x200F; ++cp) a.separators.push_back(Utf8(cp));
  for (std::uint32_t cp = 0x202A; cp <= 0x202F; ++cp) a.separators.push_back(Utf8(cp));

  a.openers = {"--", "-- ", "--\t", "---", "-", "#", "# ", "/*", "*/", "/**/", "/*!", "/*M!", "/*+", "/", "*",
               "'", "''", "\"", "\"\"", "`", "[", "]", "$$", "$a$", "$", "E'", "e'", "N'", "X'", "B'", "U&'",
               "U&\"", "\\", "\\'", "\\\"", ";", "(", ")", "\n", "\r", "\r\n", "\n\r", "?", ":", "@", "{", "}"};
  a.smuggled = {
      "DROP TABLE orders",
      "DELETE FROM orders",
      "DELETE FROM orders WHERE id = 1",
      "UPDATE orders SET status = 'paid'",
      "UPDATE products SET price = 0 -- WHERE id = 1\n",
      "ALTER TABLE orders RENAME TO gone",
      "ALTER TABLE customers ADD COLUMN x",
      "CREATE TABLE t2 (a)",
      "CREATE TEMP VIEW v AS SELECT 1",
      "CREATE INDEX i ON orders (status)",
      "INSERT INTO categories (name) VALUES ('smuggled')",
      "REPLACE INTO categories (id, name) VALUES (1, 'x')",
      "PRAGMA user_version = 7",
      "ATTACH ':memory:' AS aux",
      "DETACH aux",
      "VACUUM",
      "BEGIN",
      "SAVEPOINT s",
      "ANALYZE",
      "REINDEX",
      "DROP VIEW IF EXISTS v",
      "WITH x AS (SELECT 1) DELETE FROM orders",
      "SELECT 1 INTO t3",
  };
  a.benign = {
      "SELECT 1",
      "SELECT id FROM orders WHERE id = 1",
      "SELECT name FROM customers",
      "SELECT count(*) FROM orders WHERE status = 'paid'",
      "SELECT 'a'",
      "SELECT \"id\" FROM orders",
      "SELECT [id] FROM orders",
      "SELECT `id` FROM orders",
      "UPDATE products SET stock = 1 WHERE id = 1",
      "INSERT INTO categories (name) VALUES ('g')",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id",
  };
  // Operands, clauses, and tokens glued in ways dialects split differently
  // (a number followed by a keyword, several words between backticks).
  a.fillers = {"1", "x", "id", "WHERE id = 1", ",", " AS ", " FROM orders", "'s'", " = 1", "SELECT", "WHERE",
               "DROP", "TABLE", "orders", " ", "\n", "E", "U&", "$1", "1into t2", "0x1F", "1e5", "1e", "1.5from",
               "1union select 2", "1where id = 1", "`a into t2 from orders where b`", "`name`", "`a b`", "$1into t2",
               "1_0", "INTO t2", " RETURNING *"};
  return a;
}

}  // namespace

const Atoms& GeneratorAtoms() {
  static const Atoms atoms = BuildAtoms();
  return atoms;
}

std::uint64_t DialectTextGenerator::Rand() {
  // splitmix64
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string DialectTextGenerator::Separators(int max) {
  const Atoms& a = GeneratorAtoms();
  std::string out;
  const int n = static_cast<int>(Pick(static_cast<std::size_t>(max) + 1));
  for (int i = 0; i < n; ++i) out += Chance(25) ? std::string(" ") : From(a.separators);
  return out;
}

std::string DialectTextGenerator::Hide() {
  const Atoms& a = GeneratorAtoms();
  std::string s = From(a.benign);
  s += Space();
  const int layers = 1 + static_cast<int>(Pick(3));
  std::vector<const std::string*> opened;
  for (int i = 0; i < layers; ++i) {
    opened.push_back(&From(a.openers));
    s += *opened.back();
    s += Separators(3);
    if (Chance(40)) s += LineBreak();
  }
  if (Chance(50)) s += Chance(50) ? "\n" : "\r\n";
  // Where some dialect may read code, mostly plain space: a stray control
  // byte there makes every engine refuse the text, hiding any desync.
  if (Chance(75)) s += ";";
  s += Space();
  s += From(a.smuggled);
  s += Space();
  if (Chance(75)) s += ";";
  s += Space();
  // Close in reverse, mostly with the same openers, so quotes and comments
  // that one dialect reads as open end again.
  for (int i = layers - 1; i >= 0; --i) {
    s += Separators(2);
    s += Chance(60) ? *opened[static_cast<std::size_t>(i)] : From(a.openers);
  }
  if (Chance(30)) InsertAtom(&s);
  return s;
}

std::string DialectTextGenerator::LineBreak() {
  // Where dialects end a -- comment (PostgreSQL at \r too), and what some
  // client or engine might take for a line end.
  static const std::string kBreaks[] = {"\n", "\r", "\r\n", "\n\r", "\v", "\f", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"};
  return kBreaks[Pick(sizeof kBreaks / sizeof kBreaks[0])];
}

std::string DialectTextGenerator::Space() {
  // Bytes every dialect reads as space between tokens, mostly.
  static const char* const kSpaces[] = {" ", " ", " ", "\t", "\n", "\r\n", "\r", "\f", "\v", ""};
  if (Chance(10)) return From(GeneratorAtoms().separators);
  return kSpaces[Pick(sizeof kSpaces / sizeof kSpaces[0])];
}

std::string DialectTextGenerator::Wrapped() {
  // A comment, string or quoted identifier that the kernel reads as closed,
  // holding separators and a smuggled statement.
  struct Pair {
    const char* open;
    const char* close;
    bool value;  // a string or identifier: goes where an operand goes
  };
  static const Pair kPairs[] = {
      {"--", "\n", false}, {"-- ", "\n", false}, {"--\t", "\r\n", false}, {"-- ", "\r", false},
      {"-- ", "", false},   {"/*", "*/", false},   {"/* ", " */", false},    {"'", "'", true},
      {"E'", "'", true},    {"N'", "'", true},     {"\"", "\"", true},     {"`", "`", true},
      {"[", "]", true},     {"$$", "$$", true},    {"$a$", "$a$", true},     {"X'", "'", true},
  };
  const Atoms& a = GeneratorAtoms();
  const Pair& p = kPairs[Pick(sizeof kPairs / sizeof kPairs[0])];
  std::string s = p.value ? (Chance(50) ? "SELECT " : "SELECT id FROM orders WHERE status = ") : From(a.benign);
  s += p.value ? "" : Space();
  s += p.open;
  s += Separators(3);
  if (!p.value && Chance(40)) s += LineBreak();
  if (Chance(50)) s += From(a.openers);
  const bool plain = Chance(50);
  s += plain ? Space() : Separators(2);
  if (Chance(70)) s += ";";
  s += plain ? Space() : Separators(2);
  s += From(a.smuggled);
  s += plain ? Space() : Separators(2);
  if (Chance(50)) s += ";";
  if (Chance(30)) s += From(a.openers);
  s += Separators(3);
  s += p.close;
  s += Space();
  if (Chance(30)) {
    s += ";";
    s += Space();
    s += From(a.benign);
  }
  if (Chance(15)) InsertAtom(&s);
  return s;
}

std::string DialectTextGenerator::SplitLine() {
  // A comment one dialect may end early (at a \r, \v, U+2028, ...), a quote
  // opened after that point, a line end, the smuggled statement, and the
  // quote closed inside a second comment: each dialect sees the statement
  // either as code or as text.
  struct Quote {
    const char* open;
    const char* close;
  };
  static const Quote kQuotes[] = {{"'", "'"},   {"\"", "\""}, {"`", "`"},   {"[", "]"},   {"$$", "$$"},
                                  {"E'", "'"},  {"X'", "'"},  {"U&'", "'"}, {"$a$", "$a$"}, {"/*", "*/"}};
  static const char* const kComments[] = {"--", "-- ", "--\t", "#", "# ", "/*", "--\r", "-- \r"};
  const Atoms& a = GeneratorAtoms();
  const Quote& q = kQuotes[Pick(sizeof kQuotes / sizeof kQuotes[0])];
  std::string s = From(a.benign);
  s += Space();
  s += kComments[Pick(sizeof kComments / sizeof kComments[0])];
  s += Chance(50) ? Separators(2) : "";
  s += Chance(70) ? LineBreak() : From(a.separators);
  s += Chance(50) ? Separators(2) : "";
  s += q.open;
  s += Chance(30) ? Separators(2) : "";
  s += Chance(70) ? "\n" : LineBreak();
  if (Chance(80)) s += ";";
  s += Space();
  s += From(a.smuggled);
  s += Space();
  if (Chance(80)) s += ";";
  s += Space();
  s += kComments[Pick(sizeof kComments / sizeof kComments[0])];
  s += Chance(30) ? Separators(2) : "";
  s += q.close;
  if (Chance(20)) InsertAtom(&s);
  return s;
}

std::string DialectTextGenerator::Soup() {
  const Atoms& a = GeneratorAtoms();
  std::string s;
  const int n = 2 + static_cast<int>(Pick(10));
  for (int i = 0; i < n; ++i) {
    switch (Pick(10)) {
      case 0: case 1: s += From(a.separators); break;
      case 2: case 3: case 4: s += From(a.openers); break;
      case 5: s += From(a.smuggled); break;
      case 6: case 7: s += From(a.benign); break;
      default: s += From(a.fillers); break;
    }
  }
  return s;
}

std::string DialectTextGenerator::Mutated() {
  std::string s = grammar_.Next();
  const int n = 1 + static_cast<int>(Pick(4));
  for (int i = 0; i < n; ++i) InsertAtom(&s);
  return s;
}

void DialectTextGenerator::InsertAtom(std::string* text) {
  const Atoms& a = GeneratorAtoms();
  std::string atom;
  switch (Pick(10)) {
    case 0: case 1: case 2: case 3: atom = From(a.separators); break;
    case 4: case 5: case 6: atom = From(a.openers); break;
    case 7: atom = From(a.openers) + From(a.separators); break;
    case 8: atom = From(a.separators) + From(a.openers); break;
    default: atom = ";" + From(a.smuggled); break;
  }
  text->insert(Pick(text->size() + 1), atom);
}

std::string DialectTextGenerator::Next() {
  const std::size_t shape = Pick(20);
  if (shape < 7) return Wrapped();
  if (shape < 12) return Hide();
  if (shape < 16) return SplitLine();
  if (shape < 18) return Soup();
  return Mutated();
}

}  // namespace agentos::sqljudge
