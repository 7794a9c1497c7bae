"""The SQL a completion submits: the one rule the reward and the dataset's
instruction share.

A completion is a string (standard prompts) or a list of chat messages
(conversational prompts; the last assistant message is the answer). Its SQL
is the body of the LAST fenced code block whose info string is empty or
``sql`` (any case; a model that drafts, then corrects, is scored on its
correction; a block cut off by the length limit counts, up to the cut);
without such a block, the whole text, stripped. Nothing else is cleaned up:
the engine sees what the model wrote, so a destructive statement anywhere in
the submitted SQL is the kernel's to judge.
"""

from __future__ import annotations

import re
from typing import Any

_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*?)[ \t]*$")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of each fenced block, Markdown's way: a fence
    opens a block whatever its info string, and only a fence of the same
    character, at least as long and with no info string, closes it. An
    unclosed block runs to the end of the text."""
    blocks: list[tuple[str, str]] = []
    open_fence: str | None = None
    info = ""
    body: list[str] = []
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if open_fence is None:
            if m:
                open_fence, info, body = m.group("fence"), m.group("info"), []
        elif (m and not m.group("info") and m.group("fence")[0] == open_fence[0]
              and len(m.group("fence")) >= len(open_fence)):
            blocks.append((info, "\n".join(body)))
            open_fence = None
        else:
            body.append(line)
    if open_fence is not None:
        blocks.append((info, "\n".join(body)))
    return blocks


def completion_text(completion: Any) -> str:
    """The answer text of one completion (a str, or chat messages)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, (list, tuple)):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role", "assistant") == "assistant":
                content = message.get("content", "")
                if isinstance(content, list):  # multimodal content parts: keep the text ones
                    content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
                return content if isinstance(content, str) else ""
        return ""
    raise TypeError(f"a completion is a str or a list of chat messages, not {type(completion).__name__}")


def extract_sql(completion: Any) -> str:
    """The SQL a completion submits (see the module docstring)."""
    text = completion_text(completion)
    blocks = [body for info, body in fenced_blocks(text) if info.lower() in ("", "sql")]
    return (blocks[-1] if blocks else text).strip()


__all__ = ["extract_sql", "completion_text", "fenced_blocks"]
