"""Every env's observation text, and its chat form, read in one C call per batch.

The engine keeps the texts of a whole batch in one buffer of NUL-terminated
texts plus num_envs + 1 uint64 offsets (agentos_venv_observation_texts):
text i is bytes[offsets[i], offsets[i+1] - 1). A list of ``str`` is then one
copy, one decode and one split at the NULs, with no Python step per env
beyond making its ``str``. The chat form (agentos_venv_observation_chat) has
the same layout per message plus a role per message and each env's first
message; which messages an env gets, with which roles, is the engine's rule:
here it is only cut into dicts.
"""

from __future__ import annotations

import ctypes
from typing import Any, Callable

from . import _env_capi as _env
from . import _lib

_np: Any
try:
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by the no-numpy run
    _np = None


# Texts longer than this on average are cut by their offsets rather than
# split at the NULs: str.split looks at every character (a cost per byte:
# ~350 ns per 630-byte SQL text), a slice costs about the same per text
# whatever its length (~40 ns for empty ones, where a split costs ~10 ns).
_SPLIT_MAX_AVERAGE_BYTES = 64


def split_texts(raw: bytes, count: int, offsets: Callable[[], list]) -> list[str]:
    """``count`` NUL-terminated texts packed in ``raw`` as a list of str
    (invalid UTF-8 replaced). ``offsets()`` gives the count + 1 byte offsets;
    a text may hold a NUL of its own, so a split is kept only when it finds
    exactly ``count`` texts."""
    text = raw.decode("utf-8", "replace")
    if len(raw) <= _SPLIT_MAX_AVERAGE_BYTES * count:
        parts = text.split("\0")
        if len(parts) == count + 1:
            parts.pop()  # what follows the last NUL: nothing
            return parts
    offs = offsets()
    if len(text) == len(raw):  # one character per byte: byte offsets are character offsets
        return [text[offs[i]:offs[i + 1] - 1] for i in range(count)]
    return [raw[offs[i]:offs[i + 1] - 1].decode("utf-8", "replace") for i in range(count)]


class TextReader:
    """Reads one venv's observation texts and chat form. ``owner`` is what
    keeps the engine's memory alive (every view references it)."""

    def __init__(self, lib: Any, num_envs: int, owner: Any) -> None:
        self._n = num_envs
        self._owner = owner
        self._texts_fn = lib.agentos_venv_observation_texts
        self._chat_fn = lib.agentos_venv_observation_chat
        self._bytes, self._offsets_addr, self._nbytes = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_size_t()
        self._refs = (ctypes.byref(self._bytes), ctypes.byref(self._offsets_addr), ctypes.byref(self._nbytes))
        self._offsets: Any = None  # mapped once: its address is fixed for the venv's life
        self._chat = _env.Chat()
        self._chat_ref = ctypes.byref(self._chat)
        self._role_names = [_lib.text(lib.agentos_chat_role_name(r)) for r in range(2)]

    def _read(self, handle) -> None:
        code = self._texts_fn(handle, *self._refs)
        if code:
            _lib.check(code)
        if self._offsets is None:
            arr: Any = (ctypes.c_uint64 * (self._n + 1)).from_address(self._offsets_addr.value or 0)
            arr._owner = self._owner
            if _np is not None:
                arr = _np.ctypeslib.as_array(arr)
                arr.flags.writeable = False
            self._offsets = arr

    def texts(self, handle) -> list[str]:
        self._read(handle)
        raw = ctypes.string_at(self._bytes.value or 0, self._nbytes.value)
        offsets = self._offsets
        return split_texts(raw, self._n, offsets.tolist if _np is not None else lambda: list(offsets))

    def views(self, handle) -> tuple[Any, Any]:
        """(bytes as a read-only uint8 array, offsets as a read-only uint64
        array), both over the engine's memory."""
        self._read(handle)
        buf: Any = (ctypes.c_uint8 * self._nbytes.value).from_address(self._bytes.value or 0)
        buf._owner = self._owner
        data = _np.ctypeslib.as_array(buf)
        data.flags.writeable = False
        return data, self._offsets

    def messages(self, handle) -> list[list[dict[str, str]]]:
        code = self._chat_fn(handle, self._chat_ref)
        if code:
            _lib.check(code)
        c, n = self._chat, self._n
        m = c.num_messages
        raw = ctypes.string_at(c.bytes, c.nbytes)
        contents = split_texts(raw, m, lambda: list((ctypes.c_uint64 * (m + 1)).from_address(c.offsets)))
        roles = ctypes.string_at(c.roles, m)
        first = list((ctypes.c_uint64 * (n + 1)).from_address(c.env_first))
        names = self._role_names
        flat = [{"role": names[r], "content": t} for r, t in zip(roles, contents)]
        return [flat[first[i]:first[i + 1]] for i in range(n)]
