"""Descriptions of the environments' action and observation spaces.

When gymnasium is importable these are gymnasium.spaces objects; otherwise
small stand-ins with the same names and ``contains``/``sample``, so code can
read ``env.single_action_space.max_length`` either way.

Actions are text (SQL, a message, tool arguments): ``Text(max_length)``.
Batched text has no fixed-width array form in Gymnasium, so the vector
env's ``action_space`` is a Tuple of Text, and actions cross into the engine
as one byte buffer plus offsets (see VectorEnv.step). Observations are the
task's index (int64, -1 when meaningless) in the vector env; the single
GovernedEnvironment returns a dict {"task": text, "step": int}. With text
observations they are a Dict {"task": index, "text": Text}: per env, a
Gymnasium ``Text`` over the same characters as actions, up to
OBSERVATION_TEXT_MAX_LENGTH characters (batched: a Tuple of them).
"""

from __future__ import annotations

import random
import string

from typing import Any

_gym: Any
try:
    import gymnasium as _gym  # optional
except ImportError:
    _gym = None

_PRINTABLE = frozenset(string.printable)


class Text:
    """Text of min_length..max_length characters (any Unicode)."""

    def __init__(self, max_length: int, *, min_length: int = 0):
        self.max_length, self.min_length = max_length, min_length
        self.shape, self.dtype = None, str

    def contains(self, x) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    __contains__ = contains

    def sample(self) -> str:
        return "".join(random.choice(string.ascii_letters) for _ in range(min(8, self.max_length)))

    def __repr__(self):
        return f"Text({self.min_length}, {self.max_length})"


class Discrete:
    def __init__(self, n: int, start: int = 0):
        self.n, self.start, self.shape, self.dtype = n, start, (), int

    def contains(self, x) -> bool:
        return isinstance(x, int) and not isinstance(x, bool) and self.start <= x < self.start + self.n

    __contains__ = contains

    def sample(self) -> int:
        return random.randrange(self.start, self.start + self.n)

    def __repr__(self):
        return f"Discrete({self.n}, start={self.start})"


class Dict:
    def __init__(self, spaces: dict):
        self.spaces, self.shape, self.dtype = dict(spaces), None, None

    def contains(self, x) -> bool:
        return isinstance(x, dict) and x.keys() == self.spaces.keys() and all(
            s.contains(x[k]) for k, s in self.spaces.items())

    __contains__ = contains

    def sample(self) -> dict:
        return {k: s.sample() for k, s in self.spaces.items()}

    def __repr__(self):
        return f"Dict({self.spaces})"


class Tuple:
    def __init__(self, spaces):
        self.spaces, self.shape, self.dtype = tuple(spaces), None, None

    def contains(self, x) -> bool:
        return isinstance(x, (tuple, list)) and len(x) == len(self.spaces) and all(
            s.contains(v) for s, v in zip(self.spaces, x))

    __contains__ = contains

    def sample(self):
        return tuple(s.sample() for s in self.spaces)


class Index:
    """One int64 per env: the task index of the observation (-1: none)."""

    def __init__(self, num_envs: int | None = None):
        self.num_envs = num_envs
        self.shape = () if num_envs is None else (num_envs,)
        self.dtype = "int64"

    def contains(self, x) -> bool:
        if self.num_envs is None:
            return isinstance(x, int) and x >= -1
        return len(x) == self.num_envs and all(int(v) >= -1 for v in x)

    __contains__ = contains

    def __repr__(self):
        return f"Index(shape={self.shape})"


def text_space(max_length: int):
    if _gym is not None:
        charset = "".join(chr(c) for c in range(32, 127)) + "\t\n\r"
        return _gym.spaces.Text(max_length, min_length=0, charset=charset)
    return Text(max_length)


# Observation texts have no length limit of their own (a schema, a question
# and a step's feedback); a Text space needs one, set well above any of them.
OBSERVATION_TEXT_MAX_LENGTH = 1 << 20


def observation_text_space():
    return text_space(OBSERVATION_TEXT_MAX_LENGTH)


def text_observation_space():
    """One env's observation with its text: {"task": index, "text": Text}."""
    return dict_space({"task": index_space(), "text": observation_text_space()})


def index_space(num_envs: int | None = None):
    if _gym is not None:
        import numpy as np  # gymnasium requires numpy
        shape = () if num_envs is None else (num_envs,)
        return _gym.spaces.Box(low=-1, high=np.iinfo(np.int64).max, shape=shape, dtype=np.int64)
    return Index(num_envs)


def dict_space(spaces: dict):
    return _gym.spaces.Dict(spaces) if _gym is not None else Dict(spaces)


def discrete_space(n: int):
    return _gym.spaces.Discrete(n) if _gym is not None else Discrete(n)


def tuple_space(spaces):
    return _gym.spaces.Tuple(tuple(spaces)) if _gym is not None else Tuple(spaces)
