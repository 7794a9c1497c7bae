"""Hashed features of (question, candidate SQL) pairs for a linear policy.

The policy must generalise from training tasks to held-out ones, so nothing
here names a task: a feature is either a property of the SQL alone (its
statement kinds, clauses, aggregates, tables) or a pairing of a question word
with such a property ("how many" x COUNT, "expensive" x ORDER BY DESC), or a
grounding signal (does the SQL quote values the question mentions?).

A small regex lexer is enough here: it only shapes features for a learner.
Whether SQL is safe is the kernel's call, made on its own tokenizer, never
on anything in this file.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

_SQL_TOKEN = re.compile(
    r"""(?P<str>'(?:[^']|'')*')
      | (?P<num>\d+(?:\.\d+)?)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|<>|!=|\|\||[=<>*(),;.+\-/%])
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

# SQL words that carry structure. Everything else that looks like an
# identifier is a table or column name.
KEYWORDS = frozenset("""
    SELECT FROM WHERE JOIN LEFT INNER OUTER CROSS ON GROUP BY ORDER HAVING LIMIT OFFSET
    DISTINCT AS AND OR NOT IN IS NULL LIKE BETWEEN EXISTS CASE WHEN THEN ELSE END ASC DESC
    UNION ALL INTERSECT EXCEPT WITH VALUES SET INTO
    INSERT UPDATE DELETE DROP TRUNCATE ALTER CREATE REPLACE TABLE VIEW INDEX PRAGMA ATTACH
    DETACH VACUUM BEGIN COMMIT ROLLBACK
    """.split())
AGGREGATES = frozenset("COUNT SUM AVG MIN MAX TOTAL GROUP_CONCAT".split())
FUNCTIONS = frozenset("ROUND LOWER UPPER LENGTH STRFTIME DATE JULIANDAY COALESCE IFNULL ABS SUBSTR".split())
STATEMENT_KINDS = frozenset("SELECT INSERT UPDATE DELETE DROP TRUNCATE ALTER CREATE REPLACE PRAGMA ATTACH".split())

# Words too common in questions to say anything about the SQL.
STOPWORDS = frozenset("""
    a an the of in on at to for by with from and or is are was were be been do does did what which
    who whom whose that this these those there their its it as per each every all any me please
    show list give find tell return
    """.split())


@dataclass(frozen=True)
class SqlShape:
    """What the feature extractor sees of one SQL text."""
    statement_kinds: tuple   # first keyword of each statement, upper case
    keywords: frozenset      # structural keywords present
    aggregates: frozenset
    functions: frozenset
    identifiers: frozenset   # table/column names, lower case
    literals: tuple          # string literals (unquoted, lower case) and numbers
    clauses: frozenset       # WHERE, JOIN, GROUP_BY, ORDER_BY, ORDER_DESC, LIMIT, ...


def sql_shape(sql: str) -> SqlShape:
    statements = [[]]
    for m in _SQL_TOKEN.finditer(sql):
        kind = m.lastgroup
        text = m.group()
        if kind == "op" and text == ";":
            statements.append([])
            continue
        statements[-1].append((kind, text))
    statements = [s for s in statements if s]

    kinds, keywords, aggs, funcs, idents, literals = [], set(), set(), set(), set(), []
    for stmt in statements:
        first = stmt[0][1].upper() if stmt[0][0] == "ident" else "?"
        kinds.append(first if first in STATEMENT_KINDS or first == "WITH" else "OTHER")
        for kind, text in stmt:
            if kind == "ident":
                up = text.upper()
                if up in KEYWORDS:
                    keywords.add(up)
                elif up in AGGREGATES:
                    aggs.add(up)
                elif up in FUNCTIONS:
                    funcs.add(up)
                else:
                    idents.add(text.lower())
            elif kind == "str":
                literals.append(text[1:-1].replace("''", "'").lower())
            elif kind == "num":
                literals.append(text)
    clauses = set()
    upper_text = " ".join(t.upper() for stmt in statements for _, t in stmt)
    for name, pattern in (("WHERE", " WHERE "), ("JOIN", " JOIN "), ("GROUP_BY", "GROUP BY"),
                          ("ORDER_BY", "ORDER BY"), ("ORDER_DESC", " DESC"), ("LIMIT", " LIMIT "),
                          ("HAVING", " HAVING "), ("DISTINCT", " DISTINCT "), ("SUBQUERY", "( SELECT")):
        if pattern in " " + upper_text + " ":
            clauses.add(name)
    return SqlShape(tuple(kinds), frozenset(keywords), frozenset(aggs), frozenset(funcs),
                    frozenset(idents), tuple(literals), frozenset(clauses))


def question_words(question: str) -> list:
    words = [w for w in _WORD.findall(question.lower()) if w not in STOPWORDS]
    return words


def _stem(word: str) -> str:
    # Plural and simple suffixes only: "customers" ~ "customer", "orders" ~ "order".
    for suffix in ("ies", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def structural_tokens(shape: SqlShape) -> list:
    """Tokens describing what the SQL does, independent of the question."""
    toks = ["NSTMT=%d" % min(len(shape.statement_kinds), 3)]
    toks += ["STMT=" + k for k in shape.statement_kinds]
    if any(k != "SELECT" and k != "WITH" for k in shape.statement_kinds):
        toks.append("WRITES")
    toks += ["KW=" + k for k in shape.keywords
             if k not in ("SELECT", "FROM", "AS", "AND", "ON", "BY")]
    toks += ["AGG=" + a for a in shape.aggregates]
    toks += ["FN=" + f for f in shape.functions]
    toks += ["CL=" + c for c in shape.clauses]
    if not shape.aggregates:
        toks.append("AGG=none")
    if "WHERE" not in shape.clauses:
        toks.append("CL=no_where")
    return toks


def grounding_tokens(words: list, shape: SqlShape) -> list:
    """Does the SQL use the values and names the question talks about?"""
    qtext = " " + " ".join(words) + " "
    qstems = {_stem(w) for w in words}
    toks = []
    matched = 0
    for lit in shape.literals:
        lit_words = " ".join(_WORD.findall(lit))  # 'New York%' -> "new york"
        if lit_words and (" " + lit_words + " ") in qtext:
            matched += 1
    unmatched = len(shape.literals) - matched
    toks.append("LIT_MATCHED=%d" % min(matched, 3))
    toks.append("LIT_UNMATCHED=%d" % min(unmatched, 3))
    ident_parts = set()
    for ident in shape.identifiers:
        for part in ident.split("_"):
            ident_parts.add(_stem(part))
    overlap = len(ident_parts & qstems)
    toks.append("NAME_OVERLAP=%d" % min(overlap, 4))
    toks.append("NAMES_UNUSED=%d" % min(len(ident_parts - qstems), 6))
    return toks


def _hash(token: str, dim: int) -> int:
    return zlib.crc32(token.encode("utf-8")) % dim


def candidate_features(question: str, sql: str, dim: int) -> dict:
    """Sparse feature vector {index: value} of one (question, SQL) pair."""
    words = question_words(question)
    bigrams = [a + "_" + b for a, b in zip(words, words[1:])]
    qtoks = words + bigrams
    shape = sql_shape(sql)
    stoks = structural_tokens(shape)
    # Table names pair with question words too ("customers" x customers).
    pair_toks = stoks + ["ID=" + _stem(i) for i in shape.identifiers]
    feats: dict = {}

    def add(token: str, value: float) -> None:
        idx = _hash(token, dim)
        feats[idx] = feats.get(idx, 0.0) + value

    for s in stoks:
        add("S|" + s, 1.0)
    for g in grounding_tokens(words, shape):
        add("G|" + g, 1.0)
    if qtoks:
        scale = 1.0 / np.sqrt(len(qtoks))
        for q in qtoks:
            for s in pair_toks:
                add("X|" + q + "|" + s, scale)
    return feats


class CandidateTable:
    """Every candidate of every task as one sparse (CSR) feature matrix.

    Row r is one candidate; task t's candidates are rows
    task_ptr[t] .. task_ptr[t+1]. Built once; the learner only gathers from it.
    """

    def __init__(self, tasks: list, dim: int = 1 << 15):
        self.dim = dim
        self.task_ids = [t["id"] for t in tasks]
        self.questions = [t["question"] for t in tasks]
        self.sql = []
        self.labels = []
        task_ptr = [0]
        indptr = [0]
        indices, values = [], []
        for task in tasks:
            for cand in task["candidates"]:
                feats = candidate_features(task["question"], cand["sql"], dim)
                keys = sorted(feats)
                indices.extend(keys)
                values.extend(feats[k] for k in keys)
                indptr.append(len(indices))
                self.sql.append(cand["sql"])
                self.labels.append(cand.get("label", ""))
            task_ptr.append(len(self.sql))
        self.task_ptr = np.asarray(task_ptr, dtype=np.int64)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.values = np.asarray(values, dtype=np.float64)
        # Row of each stored entry, for scatter-adds in the gradient.
        self.entry_row = np.repeat(np.arange(len(self.sql)), np.diff(self.indptr))

    @property
    def num_tasks(self) -> int:
        return len(self.task_ids)

    @property
    def num_candidates(self) -> int:
        return len(self.sql)

    def candidate_count(self, task: int) -> int:
        return int(self.task_ptr[task + 1] - self.task_ptr[task])

    def rows(self, task: int) -> range:
        return range(int(self.task_ptr[task]), int(self.task_ptr[task + 1]))

    def scores(self, weights: np.ndarray) -> np.ndarray:
        """w . phi for every candidate (one vector over all rows)."""
        contrib = weights[self.indices] * self.values
        return np.bincount(self.entry_row, weights=contrib, minlength=self.num_candidates)

    def backprop(self, row_grads: np.ndarray) -> np.ndarray:
        """Gradient w.r.t. weights given d(loss)/d(score) for every row."""
        return np.bincount(self.indices, weights=self.values * row_grads[self.entry_row],
                           minlength=self.dim)

    def subset(self, tasks) -> "TaskSubset":
        return TaskSubset(self, tasks)

    def chance_accuracy(self, label: str = "correct") -> float:
        """Mean over tasks of the fraction of candidates carrying `label`."""
        fracs = []
        for t in range(self.num_tasks):
            rows = self.rows(t)
            fracs.append(sum(self.labels[r] == label for r in rows) / max(len(rows), 1))
        return float(np.mean(fracs)) if fracs else 0.0


class TaskSubset:
    """Some tasks' rows of a CandidateTable as a small CSR matrix of their own.

    A batch touches B tasks out of hundreds; scoring and backpropagating
    through only their rows keeps a GRPO step proportional to the batch.
    Local segment k holds task tasks[k]; `rows` maps local rows to the
    table's global rows. Tasks must be distinct.
    """

    def __init__(self, table: CandidateTable, tasks):
        tasks = np.asarray(tasks, dtype=np.int64)
        if len(np.unique(tasks)) != len(tasks):
            raise ValueError("a TaskSubset needs distinct tasks")
        self.table = table
        self.tasks = tasks
        starts, stops = table.task_ptr[tasks], table.task_ptr[tasks + 1]
        counts = stops - starts
        self.seg_ptr = np.concatenate(([0], np.cumsum(counts)))
        self.rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)])
        e_start, e_stop = table.indptr[self.rows], table.indptr[self.rows + 1]
        entries = np.concatenate([np.arange(a, b) for a, b in zip(e_start, e_stop)])
        self.indices = table.indices[entries]
        self.values = table.values[entries]
        self.entry_row = np.repeat(np.arange(len(self.rows)), e_stop - e_start)
        self._local = {int(r): i for i, r in enumerate(self.rows)}

    def local_rows(self, global_rows: np.ndarray) -> np.ndarray:
        flat = [self._local[int(r)] for r in np.ravel(global_rows)]
        return np.asarray(flat, dtype=np.int64).reshape(np.shape(global_rows))

    def scores(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(self.entry_row, weights=weights[self.indices] * self.values,
                           minlength=len(self.rows))

    def backprop(self, row_grads: np.ndarray) -> np.ndarray:
        return np.bincount(self.indices, weights=self.values * row_grads[self.entry_row],
                           minlength=self.table.dim)
