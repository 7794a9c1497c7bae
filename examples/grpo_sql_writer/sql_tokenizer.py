"""The SQL writer's two tokenizers, both built from the data.

SqlTokenizer: what the policy writes. A token is a piece of SQL text plus
whether one space comes before it, so decoding is plain concatenation and
every query round-trips byte for byte. The vocabulary holds SQL keywords,
every identifier of the dataset's schema, the operators, every printable
ASCII character (so nothing is unwritable) and the pieces seen in the
training queries. Literals are written as an opening quote, content
pieces and a closing quote; a content piece or a number that is a word of
the question is written as a COPY of that word (an id >= vocab_size:
vocab_size + position of the word in the question). That is how a
question about 'Fragrance' can be answered without 'Fragrance' ever
having been in the training data.

ObservationTokenizer: what the policy reads. The observation text
(question, schema, and feedback when the env gives some) split into words
and punctuation, each word hashed into a fixed table (no out-of-vocabulary
words), plus a few surface features (capitalised, digits, inside quotes).
It also tells which observation position holds question word i, which is
where the pointer of a COPY token looks.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

# SQL keywords and functions the writer may need, whether or not the
# training queries use them: a destructive statement must be writable from
# the first step (DELETE, DROP, ALTER, UPDATE, INSERT, CREATE, ...).
SQL_WORDS = (
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "BETWEEN", "EXISTS",
    "JOIN", "LEFT", "INNER", "OUTER", "CROSS", "ON", "AS", "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC",
    "LIMIT", "OFFSET", "DISTINCT", "UNION", "ALL", "CASE", "WHEN", "THEN", "ELSE", "END",
    "COUNT", "SUM", "AVG", "MIN", "MAX", "ROUND", "COALESCE", "strftime", "LENGTH", "LOWER", "UPPER",
    "DELETE", "UPDATE", "SET", "INSERT", "INTO", "VALUES", "REPLACE", "DROP", "TABLE", "ALTER", "RENAME",
    "TO", "CREATE", "INDEX", "VIEW", "TRUNCATE", "PRAGMA", "ATTACH", "DETACH", "DATABASE", "VACUUM", "ADD",
    "COLUMN", "IF",
)
OPERATORS = ("<>", "<=", ">=", "!=", "||", "==")

# One SQL pre-token: a string literal, a number, a word, a two-char operator, or one char.
_SQL_PRETOKEN = re.compile(r"( ?)('(?:[^']|'')*'|\d+(?:\.\d+)?|[A-Za-z_][A-Za-z_0-9]*|<>|<=|>=|!=|\|\||==|\S)")
# Pieces of a literal's content or of a number: runs of letters/digits, or one char.
_PIECE = re.compile(r"[A-Za-z0-9]+|.", re.S)
_WORD = re.compile(r"[A-Za-z0-9]+")
_IDENT = re.compile(r"\b([a-z_][a-z_0-9]*)\b")

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
QUOTE = "'"          # opens or closes a literal
ESCAPED_QUOTE = "''"  # a quote inside a literal
MAX_QUESTION_WORDS = 64


def question_of(observation: str) -> str:
    """The question part of an observation text ("Question: ...\\nSchema:...")."""
    head = observation.split("\nSchema:", 1)[0]
    return head[len("Question: "):] if head.startswith("Question: ") else head


def question_words(question: str) -> list:
    """The copyable words of a question: its letter/digit runs, in order."""
    return _WORD.findall(question)[:MAX_QUESTION_WORDS]


def schema_identifiers(schema_sql: str) -> list:
    """Table and column names of a schema.sql (lower-case identifiers outside comments)."""
    text = "\n".join(line.split("--", 1)[0] for line in schema_sql.splitlines())
    return sorted(set(_IDENT.findall(text)))


class SqlTokenizer:
    def __init__(self, pieces):
        base = set(SQL_WORDS) | set(OPERATORS) | {chr(c) for c in range(33, 127)} | {" ", ESCAPED_QUOTE}
        base |= set(pieces)
        base.discard("")
        ordered = sorted(base)
        # Token = (text, space_before). Literal content never has a space before
        # (a space inside a literal is the piece " ").
        self.tokens = [(PAD, False), (BOS, False), (EOS, False)]
        self.tokens += [(p, s) for p in ordered for s in (False, True)]
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2
        self.vocab_size = len(self.tokens)
        self.num_actions = self.vocab_size + MAX_QUESTION_WORDS

    @classmethod
    def from_data(cls, schema_sql: str, training_sql) -> "SqlTokenizer":
        """Vocabulary: keywords, the schema's identifiers, and the pieces of the training queries."""
        pieces = set(schema_identifiers(schema_sql))
        for sql in training_sql:
            for _, text in _SQL_PRETOKEN.findall(sql):
                if text.startswith("'"):
                    pieces.update(_PIECE.findall(text[1:-1].replace("''", "'")))
                elif text[0].isdigit():
                    pieces.update(_PIECE.findall(text))
                else:
                    pieces.add(text)
        pieces.discard("'")
        return cls(sorted(pieces))

    # ---- encoding ------------------------------------------------------------------

    def encode(self, sql: str, question: str) -> list:
        """Token ids of `sql` (no BOS/EOS). Raises ValueError if it cannot round-trip."""
        words = {}
        for i, w in enumerate(question_words(question)):
            words.setdefault(w, i)
        ids = []
        pos = 0
        for m in _SQL_PRETOKEN.finditer(sql):
            if m.start() != pos:
                raise ValueError("cannot tokenize %r: unexpected whitespace at %d" % (sql, pos))
            pos = m.end()
            space, text = m.group(1) == " ", m.group(2)
            if text.startswith("'") and len(text) >= 2 and text.endswith("'"):
                ids.append(self.index[(QUOTE, space)])
                for piece in _PIECE.findall(text[1:-1].replace("''", "'")):
                    ids.extend(self._content(piece, False, words, inside_literal=True))
                ids.append(self.index[(QUOTE, False)])
            elif text[0].isdigit():
                for k, piece in enumerate(_PIECE.findall(text)):
                    ids.extend(self._content(piece, space and k == 0, words, inside_literal=False))
            else:
                ids.extend(self._content(text, space, words, inside_literal=False))
        if pos != len(sql):
            raise ValueError("cannot tokenize %r: trailing text at %d" % (sql, pos))
        if self.decode(ids, question) != sql:
            raise ValueError("%r does not round-trip" % sql)
        return ids

    def _content(self, piece: str, space: bool, words: dict, *, inside_literal: bool) -> list:
        if inside_literal and piece == "'":
            return [self.index[(ESCAPED_QUOTE, False)]]
        # Only literal content and numbers are copied; keywords and identifiers come from the vocabulary.
        copyable = inside_literal or piece[0].isdigit()
        if copyable and piece in words:
            copy = self.vocab_size + words[piece]
            return [self._space_id(), copy] if space else [copy]
        if (piece, space) in self.index:
            return [self.index[(piece, space)]]
        # Unknown piece: spelled one character at a time (every printable char is a token).
        out = []
        for k, ch in enumerate(piece):
            key = (ch, space and k == 0)
            if key not in self.index:
                raise ValueError("character %r is not writable" % ch)
            out.append(self.index[key])
        return out

    def _space_id(self) -> int:
        # A copied word after a space: the space is its own (unspaced) token " ".
        return self.index[(" ", False)]

    # ---- decoding ------------------------------------------------------------------

    def decode(self, ids, question: str) -> str:
        """SQL text of token ids; stops at EOS; copies resolve against the question's words."""
        words = question_words(question)
        out = []
        for t in ids:
            t = int(t)
            if t == self.eos_id:
                break
            if t in (self.pad_id, self.bos_id):
                continue
            if t >= self.vocab_size:
                k = t - self.vocab_size
                out.append(words[k] if k < len(words) else "")
                continue
            text, space = self.tokens[t]
            if text == ESCAPED_QUOTE:
                text = "''"
            out.append((" " if space else "") + text)
        return "".join(out)

    def copy_mask(self, question: str) -> list:
        """True for every COPY action that points at an existing question word."""
        n = len(question_words(question))
        return [k < n for k in range(MAX_QUESTION_WORDS)]

    def ids_of(self, text: str, space: bool = False) -> int:
        return self.index[(text, space)]


# ---- observations -----------------------------------------------------------------

_OBS_TOKEN = re.compile(r"[A-Za-z0-9]+|\S")
OBS_HASH_BUCKETS = 4096


@dataclass
class EncodedObservation:
    hashes: list          # one hashed word id per observation token
    features: list        # one feature id per token (see ObservationTokenizer.features)
    question_positions: list  # observation position of question word k


class ObservationTokenizer:
    """Hashes every observation token; marks where each question word sits."""

    def __init__(self, max_len: int = 192):
        self.max_len = max_len
        self.buckets = OBS_HASH_BUCKETS
        self.num_features = 16

    def encode(self, observation: str) -> EncodedObservation:
        question = question_of(observation)
        q_start = observation.find(question) if question else 0
        q_end = q_start + len(question)
        hashes, feats, qpos = [], [], []
        in_quote = False
        for m in _OBS_TOKEN.finditer(observation):
            tok = m.group(0)
            if len(hashes) >= self.max_len:
                break
            if tok == "'" and q_start <= m.start() < q_end:
                in_quote = not in_quote
            hashes.append(zlib.crc32(tok.lower().encode()) % self.buckets)
            in_question = q_start <= m.start() < q_end
            f = (1 if tok[:1].isupper() else 0) | (2 if tok[:1].isdigit() else 0) \
                | (4 if in_quote else 0) | (8 if in_question else 0)
            feats.append(f)
            if in_question and _WORD.fullmatch(tok) and len(qpos) < MAX_QUESTION_WORDS:
                qpos.append(len(hashes) - 1)
        return EncodedObservation(hashes, feats, qpos)
