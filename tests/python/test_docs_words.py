"""Docs and comments cite only what a reader of the repository can open.

Every Markdown file and every source, build and CI file tracked by git is
scanned for citations a reader cannot follow: numbered issues of a tracker
that is not named (the word issue followed by a number), section signs pointing into
documents that are not in the repository, and internal shorthand for such
documents. A link to a public issue (https://github.com/owner/repo/issues/123)
is a public URL and is allowed. Each hit is reported as file:line.

Needs only a checkout (not the built library): run from anywhere with
    python3 -m pytest <repo>/tests/python/test_docs_words.py -q
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Text a reader cannot follow, each with the reason printed on a hit.
FORBIDDEN = [
    (re.compile(r"\banchors?\s*§|\banchors?\s+failure\s*#?\d", re.I), "cites an internal document"),
    (re.compile(r"§\s*\d"), "cites a section of a document that is not in the repository"),
    (re.compile(r"(?<![/\w])issues?\s+#?\d+", re.I), "cites an issue number"),
    (re.compile(r"(?<![/\w])issue\s*#\d+", re.I), "cites an issue number"),
    (re.compile(r"\bissues?\s+\d+\s*(,|and|&)\s*\d+", re.I), "cites issue numbers"),
    (re.compile(r"\bthe (agentos )?issue's\b|\bfrom the (agentos )?issue\b", re.I),
     "refers to an issue the reader cannot open"),
    (re.compile(r"\bthe issue (asks|names|says|requires|wants)\b|\bthe anchor'?s?\b(?!\s+(hash|record|checkpoint))",
                re.I), "refers to a document the reader cannot open"),
    (re.compile(r"\bthe seed's\b|\bseed-era\b|\bthe project agentos replaces\b|\bthe public project\b", re.I),
     "internal shorthand for a project; name it"),
]

# What is scanned: Markdown, and files whose text is code, build or CI
# configuration (their comments). Data files (SQL dumps, JSON, fuzz inputs)
# are not prose.
SCANNED_SUFFIXES = {".md", ".cc", ".h", ".c", ".py", ".cmake", ".txt", ".yaml", ".yml",
                    ".toml", ".sh", ".jl", ".in", ".cfg", ".ini"}
SKIPPED_DIRS = ("tests/fuzz/corpus/", "build/", ".git/", ".venv")


def find_violations(text: str, name: str = "<text>") -> list:
    """``file:line: reason: line text`` for every forbidden citation in ``text``."""
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, reason in FORBIDDEN:
            if pattern.search(line):
                hits.append(f"{name}:{number}: {reason}: {line.strip()}")
                break
    return hits


def is_scanned(rel: str) -> bool:
    if rel.startswith(SKIPPED_DIRS):
        return False
    return rel.startswith(".ci/") or Path(rel).suffix in SCANNED_SUFFIXES or Path(rel).name == "CMakeLists.txt"


def tracked_files(root: Path) -> list:
    """Paths relative to ``root``: git's tracked files, else a directory walk."""
    if (root / ".git").exists() and shutil.which("git"):
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=False)
        if out.returncode == 0:
            return [p for p in out.stdout.decode("utf-8", "replace").split("\0") if p]
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]


def test_no_doc_or_comment_cites_an_issue_or_an_outside_document():
    if not ((ROOT / ".git").exists() and (ROOT / "CMakeLists.txt").exists()):
        pytest.skip(f"{ROOT} is not an agentos checkout (no .git and CMakeLists.txt): nothing to scan")
    scanned, hits = 0, []
    for rel in tracked_files(ROOT):
        path = ROOT / rel
        if not is_scanned(rel) or not path.is_file():
            continue
        scanned += 1
        hits += find_violations(path.read_text(encoding="utf-8", errors="replace"), rel)
    assert scanned > 100, f"only {scanned} files scanned under {ROOT}: the file list is wrong"
    assert not hits, "citations a reader of the repository cannot follow:\n" + "\n".join(hits)


def test_the_checker_reports_each_bad_citation_with_its_line():
    # Built from pieces so that this file itself passes the scan.
    bad = "\n".join([
        "// fine: see tests/python/test_api_block.py",
        "// WHY: the bonus (anchors " + "\u00a7" + "1.2 #8) paid 5.0",
        "Every line of issue" + " 6's API block runs",
        "// targets (iss" + "ues 2 and 3)",
        "# the seed" + "-era store interface",
        "see https://github.com/owner/repo/issues/123 for the upstream bug",
    ])
    assert [h.split(":")[1] for h in find_violations(bad, "snippet.md")] == ["2", "3", "4", "5"]
    assert find_violations(bad, "snippet.md")[0].startswith("snippet.md:2: cites an internal document")


def test_legitimate_text_passes():
    fine = "\n".join([
        "Patterns match anywhere in the payload (anchor with `^`/`$`).",
        "YAML anchors and aliases are accepted.",
        "reset(seed=s) gives the new incarnation exactly the seeds asked for",
        "upstream bug: https://github.com/ray-project/ray/issues/41234",
        "the issuer signs the token",
        "this release fixes the issues with CRLF input",
        "publish the head hash elsewhere to anchor it; Re-anchor at the current end",
    ])
    assert find_violations(fine) == []
