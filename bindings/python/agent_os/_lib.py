"""Finds libagentos.so, loads it with ctypes and declares every C prototype.

Search order (the first hit wins; nothing else is tried after a hit fails):
  1. the path in the environment variable AGENTOS_LIBRARY (an override);
  2. libagentos.so beside this package: `pip install .` puts it there, and in
     a source checkout the CMake build of target `agentos` copies it there
     after every non-sanitizer build.
Anything else raises AgentOSLibraryError (an ImportError) that says how to
build the library. The loaded library must have the same major version as
this package (and, while the major version is 0, the same minor version).

Every function gets explicit argtypes/restype: without them ctypes would pass
Python ints as C int and truncate pointers and size_t values.
"""

from __future__ import annotations

import ctypes
import os
import pathlib
from ctypes import (POINTER, Structure, c_char_p, c_double, c_int, c_int8, c_int32, c_int64,
                    c_size_t, c_uint8, c_uint32, c_uint64, c_void_p)

from . import errors

PACKAGE_VERSION = (0, 1, 0)
_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
LIBRARY_NAME = "libagentos.so"


class AgentOSLibraryError(ImportError):
    """libagentos.so could not be found, loaded, or is an incompatible version."""


def _build_hint() -> str:
    root = _PACKAGE_DIR.parent.parent.parent  # bindings/python/agent_os -> repository root
    if (root / "CMakeLists.txt").exists():
        return ("Build it with:\n"
                f"    cmake -S {root} -B {root}/build/release -DCMAKE_BUILD_TYPE=Release\n"
                f"    cmake --build {root}/build/release -j2 --target agentos\n"
                f"(the build copies libagentos.so to {_PACKAGE_DIR}/), "
                "or set AGENTOS_LIBRARY=/path/to/libagentos.so.")
    return ("Reinstall the package (`pip install .` in the agentos repository builds the library into "
            f"{_PACKAGE_DIR}/), or set AGENTOS_LIBRARY=/path/to/libagentos.so.")


def find_library() -> pathlib.Path:
    env = os.environ.get("AGENTOS_LIBRARY")
    if env:
        path = pathlib.Path(env)
        if not path.is_file():
            raise AgentOSLibraryError(f"AGENTOS_LIBRARY={env} does not name a file. " + _build_hint())
        return path
    path = _PACKAGE_DIR / LIBRARY_NAME
    if path.is_file():
        return path
    raise AgentOSLibraryError(f"{LIBRARY_NAME} not found (looked at $AGENTOS_LIBRARY and {path}). "
                              + _build_hint())


# ---- C types ---------------------------------------------------------------

class SizedStructure(Structure):
    """A public C struct: its first field, struct_size, must hold sizeof the
    struct (agentos.h), so every instance made here starts with it set.
    Arrays of these are not constructed one by one: set it per element."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.struct_size = ctypes.sizeof(self)


class CAction(SizedStructure):
    """agentos_action (agentos_kernel.h)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("kind", c_int32),
        ("agent_id", c_char_p),
        ("agent_id_len", c_size_t),
        ("tool", c_char_p),
        ("tool_len", c_size_t),
        ("payload", c_char_p),
        ("payload_len", c_size_t),
        ("cost_usd", c_double),
        ("tokens", c_int64),
    ]


class CViolation(SizedStructure):
    """agentos_violation (agentos_kernel.h)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("policy", c_char_p),
        ("rule", c_char_p),
        ("reason", c_char_p),
        ("severity", c_int32),
        ("blocked", c_int32),
    ]


P = c_void_p  # every opaque handle
PP = POINTER(c_void_p)
u8p, i8p, u32p, u64p = POINTER(c_uint8), POINTER(c_int8), POINTER(c_uint32), POINTER(c_uint64)
f32p, f64p, i32p, i64p = (POINTER(ctypes.c_float), POINTER(c_double), POINTER(c_int32),
                          POINTER(c_int64))

# name: (restype, argtypes). Grouped by header; a missing "required" symbol
# fails the import, a missing symbol of an optional part disables that part.
_REQUIRED = {
    "agentos_version": (c_char_p, []),
    "agentos_version_number": (c_int, []),
    "agentos_errmsg": (c_char_p, []),
    "agentos_errstr": (c_char_p, [c_int]),
    # agentos_kernel.h
    "agentos_kernel_from_yaml": (c_int, [c_char_p, c_size_t, c_char_p, PP]),
    "agentos_kernel_from_file": (c_int, [c_char_p, PP]),
    "agentos_kernel_allow_all": (c_int, [PP]),
    "agentos_kernel_free": (None, [P]),
    "agentos_kernel_policy_count": (c_int, [P, POINTER(c_size_t)]),
    "agentos_kernel_is_audit": (c_int, [P, i32p]),
    "agentos_state_new": (c_int, [PP]),
    "agentos_state_free": (None, [P]),
    "agentos_state_reset": (c_int, [P]),
    "agentos_state_get": (c_int, [P, f64p, i64p, u32p, u32p]),
    "agentos_decision_new": (c_int, [PP]),
    "agentos_decision_free": (None, [P]),
    "agentos_kernel_check": (c_int, [P, P, POINTER(CAction), P]),
    "agentos_decision_allowed": (c_int, [P, i32p]),
    "agentos_decision_violation_count": (c_int, [P, POINTER(c_size_t)]),
    "agentos_decision_total_violations": (c_int, [P, POINTER(c_size_t)]),
    "agentos_decision_max_severity": (c_int, [P, i32p]),
    "agentos_decision_signals": (c_int, [P, POINTER(c_uint32)]),
    "agentos_decision_violation": (c_int, [P, c_size_t, POINTER(CViolation)]),
    "agentos_kernel_check_batch": (c_int, [P, c_int32, c_void_p, c_size_t, c_void_p, c_size_t,
                                           c_void_p, c_void_p, c_void_p]),
}

_OPTIONAL = {
    "kernel_extras": {
        "agentos_kernel_policy": (c_int, [P, c_size_t, POINTER(c_char_p), POINTER(c_char_p)]),
        "agentos_kernel_check_actions": (c_int, [P, P, POINTER(CAction), c_size_t, c_void_p, c_void_p, c_void_p]),
    },
    "kernel_share": {
        "agentos_kernel_share": (c_int, [P, PP]),
    },
}


def _declare(lib, name, proto):
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = proto[0], proto[1]
    return fn


def _load():
    path = find_library()
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as e:
        raise AgentOSLibraryError(f"cannot load {path}: {e}. " + _build_hint()) from e
    for name, proto in _REQUIRED.items():
        try:
            _declare(lib, name, proto)
        except AttributeError as e:
            raise AgentOSLibraryError(
                f"{path} lacks the C function {name}: the library is older than this package or "
                "half-built. " + _build_hint()) from e
    parts = {}
    for part, protos in _OPTIONAL.items():
        ok = True
        for name, proto in protos.items():
            try:
                _declare(lib, name, proto)
            except AttributeError:
                ok = False
        parts[part] = ok
    number = lib.agentos_version_number()
    major, minor = number // 10000, (number // 100) % 100
    if major != PACKAGE_VERSION[0] or (major == 0 and minor != PACKAGE_VERSION[1]):
        raise AgentOSLibraryError(
            f"{path} is agentos {lib.agentos_version().decode()} but this package is "
            f"{'.'.join(map(str, PACKAGE_VERSION))}; rebuild the library from the same source tree. "
            + _build_hint())
    return lib, path, parts


lib, path, _parts = _load()


def declare_part(part: str, protos: dict) -> bool:
    """Declares an optional part's prototypes (used by env / recorder modules).
    Returns False, declaring nothing, if any symbol is missing."""
    if part in _parts:
        return _parts[part]
    ok = all(hasattr(lib, name) for name in protos)
    if ok:
        for name, proto in protos.items():
            _declare(lib, name, proto)
    _parts[part] = ok
    return ok


def has_part(part: str) -> bool:
    return _parts.get(part, False)


def require_part(part: str, what: str) -> None:
    if not _parts.get(part, False):
        raise AgentOSLibraryError(
            f"{what} needs the {part} part of the C API, which {path} does not export; rebuild "
            "libagentos.so from a source tree that has it. " + _build_hint())


def last_error_message() -> str:
    msg = lib.agentos_errmsg()
    return msg.decode("utf-8", "replace") if msg else ""


def check(code: int) -> None:
    """Raises the exception for a non-zero result code, with the C message."""
    if code != errors.OK:
        raise errors.error_for(code, last_error_message())


def query(fn, handle, ctype) -> int:
    """Calls an agentos query that answers through one out-parameter."""
    out = ctype()
    check(fn(handle, ctypes.byref(out)))
    return out.value


def new_handle(ctor, *args) -> c_void_p:
    """Calls an agentos_*_new style constructor whose last argument is T** out."""
    out = c_void_p()
    check(ctor(*args, ctypes.byref(out)))
    if not out.value:
        raise errors.InternalError(f"{ctor.__name__} returned OK but no handle")
    return out


def text(b) -> str:
    return b.decode("utf-8", "replace") if b else ""
