"""Docs are tests: every fenced code block of every tracked Markdown file runs.

Each block is one test, named FILE:LINE-LANGUAGE. What "runs" means per fence
language:

  python      written to snippet.py and run as a script with this interpreter
  sh, bash    run with ``bash -euo pipefail`` (any failing command fails it)
  c           a complete program (one with ``main``) is compiled against
              bindings/c, linked with the package's libagentos.so and run
  yaml        a policy file: loaded by the engine (KernelSpace.from_yaml_text)
  json        parsed
  text        not code (diagrams, output, usage synopses): never run

Scripts run in a fresh temporary directory that holds a symlink to every
top-level entry of the checkout, so repository paths in a snippet resolve
as from the repository root while files a snippet creates stay out of it.
``agentos`` (the installed CLI) is on PATH and AGENTOS_DATA_DIR points into
the temporary directory.

A block that must not run (it builds the project, trains, starts a cluster,
needs other machines) carries a marker on the line right before its fence:

    <!-- snippet: skip (reason: builds the whole project, ~10 min) -->

A fence without a language, a language with no runner, a skip marker without
a reason, a marker not followed by a fence, and a C block that is not a
complete program and is not marked: each fails.

CI runs this with the installed package (see conftest.py); it needs a git
checkout to list the Markdown files and skips otherwise.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RUNNABLE = {"python", "sh", "bash", "c", "yaml", "json"}
NOT_CODE = {"text"}
TIMEOUT_S = 120

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
MARKER = re.compile(r"^\s*<!--\s*snippet:(?P<body>.*?)-->\s*$")
SKIP = re.compile(r"^skip\s*\(\s*reason:\s*(?P<reason>.*?)\s*\)$")


@dataclass
class Block:
    source: str          # the Markdown file, relative to the repository
    line: int            # line of the opening fence, 1-based
    lang: str
    code: str
    skip_reason: str | None = None
    error: str | None = None   # a malformed marker or fence: the block fails with this

    @property
    def id(self) -> str:
        return f"{self.source}:{self.line}-{self.lang or 'untagged'}"


class SnippetFailure(AssertionError):
    pass


def parse_blocks(text: str, source: str) -> list:
    """Every fenced block of a Markdown text, with its marker, in order."""
    blocks = []
    lines = text.splitlines()
    marker = None        # (line number, body) of a marker waiting for its fence
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            mk = MARKER.match(lines[i])
            if marker is not None:
                blocks.append(Block(source, marker[0], "", "", error=f"{source}:{marker[0]}: a snippet marker "
                                    "must be on the line right before a fence"))
                marker = None
            if mk is not None:
                marker = (i + 1, mk.group("body").strip())
            i += 1
            continue
        start, fence = i + 1, m.group("fence")
        lang = m.group("info").strip().split(" ")[0].lower() if m.group("info").strip() else ""
        body = []
        i += 1
        while i < len(lines) and not re.match(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i][len(m.group("indent")):] if lines[i].startswith(m.group("indent")) else lines[i])
            i += 1
        i += 1   # the closing fence (or the end of the file)
        block = Block(source, start, lang, "\n".join(body) + "\n")
        if not lang:
            block.error = (f"{source}:{start}: a fence without a language: tag it (```text for what is not code, "
                           f"or one of {sorted(RUNNABLE)})")
        elif lang not in RUNNABLE | NOT_CODE:
            block.error = f"{source}:{start}: no runner for ```{lang} (runnable: {sorted(RUNNABLE)}; or ```text)"
        if marker is not None:
            sk = SKIP.match(marker[1])
            if sk is None or not sk.group("reason"):
                block.error = (f"{source}:{marker[0]}: a skip marker needs a reason: "
                               "<!-- snippet: skip (reason: why it cannot run here) -->")
            elif lang in NOT_CODE:
                block.error = f"{source}:{marker[0]}: a ```{lang} block is never run: remove its skip marker"
            else:
                block.skip_reason = sk.group("reason")
            marker = None
        blocks.append(block)
    if marker is not None:
        blocks.append(Block(source, marker[0], "", "", error=f"{source}:{marker[0]}: a snippet marker "
                            "must be on the line right before a fence"))
    return blocks


def _symlink_farm(root: Path, workdir: Path) -> None:
    """workdir gets a symlink to every top-level entry of the checkout (not .git, not build outputs)."""
    for entry in root.iterdir():
        if entry.name in (".git", ".venv", "build") or entry.name.startswith(".venv"):
            continue
        (workdir / entry.name).symlink_to(entry)


def snippet_env(workdir: Path) -> dict:
    env = dict(os.environ)
    scripts = Path(sys.executable).parent   # the venv's bin: python, pip-installed `agentos`
    path = [str(scripts)]
    if os.environ.get("AGENTOS_TEST_INSTALLED") != "1":
        cli = ROOT / "build" / "release" / "bindings"   # the source-tree run: the CMake build's CLI
        if (cli / "agentos").exists():
            path.append(str(cli))
    env["PATH"] = os.pathsep.join(path + [env.get("PATH", "")])
    import agent_os
    env["PYTHONPATH"] = str(Path(agent_os.__file__).resolve().parent.parent)
    env["AGENTOS_DATA_DIR"] = str(workdir / "agentos-data")
    env["TMPDIR"] = str(workdir)
    return env


def _run(cmd, workdir: Path, block: Block, **kw) -> subprocess.CompletedProcess:
    # Its own process group, so a snippet that hangs is stopped with every process it started.
    with subprocess.Popen(cmd, cwd=workdir, env=snippet_env(workdir), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True, **kw) as proc:
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise SnippetFailure(f"{block.source}:{block.line}: did not finish in {TIMEOUT_S} s\n"
                                 f"--- stdout\n{out[-4000:]}\n--- stderr\n{err[-4000:]}") from None
    r = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if r.returncode != 0:
        raise SnippetFailure(f"{block.source}:{block.line}: ```{block.lang} block exited {r.returncode}\n"
                             f"--- stdout\n{r.stdout[-4000:]}\n--- stderr\n{r.stderr[-4000:]}")
    return r


def _run_c(block: Block, workdir: Path) -> None:
    if not re.search(r"\bint\s+main\s*\(", block.code):
        raise SnippetFailure(f"{block.source}:{block.line}: a ```c fragment (no main) cannot be compiled: make it a "
                             "complete program or mark it <!-- snippet: skip (reason: ...) -->")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise SnippetFailure(f"{block.source}:{block.line}: no C compiler on PATH to build the ```c block")
    from agent_os import _lib
    library = Path(_lib.path).resolve()
    # The package ships the library under its plain name; the program asks for its soname.
    libdir = workdir / "lib"
    libdir.mkdir()
    (libdir / "libagentos.so").symlink_to(library)
    readelf = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True)
    soname = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", readelf.stdout)
    if soname and soname.group(1) != "libagentos.so":
        (libdir / soname.group(1)).symlink_to(library)
    (workdir / "snippet.c").write_text(block.code)
    _run([cc, "-std=c11", "-Wall", "-Werror", f"-I{ROOT / 'bindings' / 'c'}", "snippet.c", "-o", "snippet",
          f"-L{libdir}", f"-Wl,-rpath,{libdir}", "-lagentos"], workdir, block)
    _run([str(workdir / "snippet")], workdir, block)


def run_block(block: Block, root: Path = ROOT) -> None:
    """Runs one block; raises SnippetFailure (with the output) when it fails."""
    if block.error:
        raise SnippetFailure(block.error)
    if block.lang in NOT_CODE or block.skip_reason:
        return
    if block.lang == "json":
        try:
            json.loads(block.code)
        except ValueError as e:
            raise SnippetFailure(f"{block.source}:{block.line}: invalid JSON: {e}") from None
        return
    if block.lang == "yaml":
        from agent_os import KernelSpace
        try:
            KernelSpace.from_yaml_text(block.code, source_name="<block>")
        except Exception as e:   # the engine's error names <block>:line:column; point it into the Markdown file
            where = re.sub(r"<block>:(\d+):", lambda m: f"{block.source}:{block.line + int(m.group(1))}:", str(e))
            raise SnippetFailure(f"{block.source}:{block.line}: the policy does not load: {where}") from None
        return
    with tempfile.TemporaryDirectory(prefix="snippet-") as tmp:
        workdir = Path(tmp)
        _symlink_farm(root, workdir)
        if block.lang == "python":
            (workdir / "snippet.py").write_text(block.code)
            _run([sys.executable, "snippet.py"], workdir, block)
        elif block.lang in ("sh", "bash"):
            (workdir / "snippet.sh").write_text(block.code)
            _run(["bash", "-euo", "pipefail", "snippet.sh"], workdir, block)
        elif block.lang == "c":
            _run_c(block, workdir)


def _checkout_markdown() -> list:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        return []
    r = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--", "*.md"], capture_output=True)
    if r.returncode != 0:
        return []
    return sorted(p for p in r.stdout.decode().split("\0") if p)


MARKDOWN = _checkout_markdown()
if not MARKDOWN:
    pytest.skip(f"{ROOT} is not a git checkout with Markdown files", allow_module_level=True)

BLOCKS = [b for rel in MARKDOWN if (ROOT / rel).is_file()
          for b in parse_blocks((ROOT / rel).read_text(encoding="utf-8"), rel)
          if b.lang not in NOT_CODE or b.error]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_snippet(block):
    if block.skip_reason and not block.error:
        pytest.skip(block.skip_reason)
    run_block(block)


# --- the runner itself: it fails when a snippet breaks ---------------------------------------

def _only_block(tmp_path, markdown: str) -> Block:
    (tmp_path / "doc.md").write_text(markdown)
    blocks = parse_blocks((tmp_path / "doc.md").read_text(), "doc.md")
    assert len(blocks) == 1
    return blocks[0]


def test_a_broken_python_snippet_fails(tmp_path):
    block = _only_block(tmp_path, "Text.\n\n```python\nimport asyncio\nawait asyncio.sleep(0)\n```\n")
    with pytest.raises(SnippetFailure, match=r"doc.md:3: ```python block exited 1[\s\S]*SyntaxError"):
        run_block(block)


def test_a_python_snippet_that_raises_fails(tmp_path):
    block = _only_block(tmp_path, "```python\nfrom agent_os import KernelSpace\n"
                                  "KernelSpace.from_yaml('examples/policies/no_such_file.yaml')\n```\n")
    with pytest.raises(SnippetFailure, match="no_such_file.yaml"):
        run_block(block)


def test_a_working_python_snippet_passes_and_sees_the_repository(tmp_path):
    run_block(_only_block(tmp_path, "```python\nfrom agent_os import KernelSpace\n"
                                    "k = KernelSpace.from_yaml('examples/policies/sql_safety.yaml')\n"
                                    "assert not k.check('DROP TABLE t').allowed\n```\n"))


def test_a_failing_command_in_a_shell_snippet_fails(tmp_path):
    block = _only_block(tmp_path, "```sh\nagentos --version\nfalse\necho never reached\n```\n")
    with pytest.raises(SnippetFailure, match=r"exited 1[\s\S]*agentos \d+\.\d+") as e:
        run_block(block)
    assert "never reached" not in str(e.value)


def test_an_invalid_policy_block_fails_with_its_location(tmp_path):
    block = _only_block(tmp_path, "```yaml\nversion: 1\npolicies:\n  - name: s\n    type: sql\n    alow: [SELECT]\n```\n")
    # The key is on line 6 of doc.md (the block's line 5), column 5.
    with pytest.raises(SnippetFailure, match=r"doc.md:1: the policy does not load: doc.md:6:5: unknown key 'alow'"):
        run_block(block)


def test_a_c_program_is_compiled_linked_and_run(tmp_path):
    ok = _only_block(tmp_path, '```c\n#include "agentos.h"\n#include <stdio.h>\n'
                               'int main(void) { printf("%s\\n", agentos_version()); return 0; }\n```\n')
    run_block(ok)
    bad = _only_block(tmp_path, '```c\n#include "agentos.h"\nint main(void) { return agentos_no_such_call(); }\n```\n')
    with pytest.raises(SnippetFailure, match="agentos_no_such_call"):
        run_block(bad)


def test_an_unmarked_c_fragment_fails(tmp_path):
    block = _only_block(tmp_path, '```c\nagentos_kernel_free(k);\n```\n')
    with pytest.raises(SnippetFailure, match=r"doc.md:1: a ```c fragment \(no main\)"):
        run_block(block)


@pytest.mark.parametrize("marker", ["<!-- snippet: skip -->", "<!-- snippet: skip (reason: ) -->",
                                    "<!-- snippet: skip because slow -->"])
def test_a_skip_without_a_reason_fails(tmp_path, marker):
    block = _only_block(tmp_path, f"{marker}\n```sh\nbash .ci/test\n```\n")
    with pytest.raises(SnippetFailure, match=r"doc.md:1: a skip marker needs a reason"):
        run_block(block)


def test_a_skip_with_a_reason_is_not_run(tmp_path):
    block = _only_block(tmp_path, "<!-- snippet: skip (reason: runs every CI stage, ~40 min) -->\n"
                                  "```sh\nexit 1\n```\n")
    assert block.skip_reason == "runs every CI stage, ~40 min"
    run_block(block)


def test_an_untagged_or_unknown_fence_fails(tmp_path):
    for fence, message in [("```", "a fence without a language"), ("```ruby", "no runner for ```ruby")]:
        block = _only_block(tmp_path, f"{fence}\nputs 1\n```\n")
        with pytest.raises(SnippetFailure, match=message):
            run_block(block)


def test_a_marker_away_from_its_fence_fails(tmp_path):
    blocks = parse_blocks("<!-- snippet: skip (reason: slow) -->\n\n```sh\nexit 1\n```\n", "doc.md")
    assert [b.error for b in blocks if b.error] == [
        "doc.md:1: a snippet marker must be on the line right before a fence"]
    assert blocks[-1].skip_reason is None   # the fence itself is not skipped, so it runs (and here fails)


def test_a_hanging_snippet_fails_and_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "TIMEOUT_S", 1)
    block = _only_block(tmp_path, f"```sh\nsleep 60 &\necho $! > {tmp_path}/child.pid\nwait\n```\n")
    with pytest.raises(SnippetFailure, match=r"doc.md:1: did not finish in 1 s"):
        run_block(block)
    child = int((tmp_path / "child.pid").read_text())
    # The background sleep went with the snippet's process group (a zombie at most, until reaped).
    stat = Path(f"/proc/{child}/stat")
    assert not stat.exists() or stat.read_text().split(") ")[1].startswith("Z")
