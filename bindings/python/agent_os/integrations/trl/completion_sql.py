"""The SQL a completion submits: the one rule the reward and the dataset's
instruction share.

A completion is a string (standard prompts) or a list of chat messages
(conversational prompts; the last assistant message is the answer). Its SQL
is the body of the LAST fenced code block whose info string is empty or
``sql`` (a model that drafts, then corrects, is scored on its correction);
without such a block, the whole text, stripped. Nothing else is cleaned up:
the engine sees what the model wrote, so a destructive statement anywhere in
the submitted SQL is the kernel's to judge.
"""

from __future__ import annotations

import re
from typing import Any

# ``` or ~~~ fences, the info string "sql" (any case) or nothing, body up to
# the matching closing fence.
_FENCED = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*(?:sql)?[ \t]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                     re.IGNORECASE | re.MULTILINE | re.DOTALL)


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
    blocks = [m.group("body") for m in _FENCED.finditer(text)]
    return (blocks[-1] if blocks else text).strip()


__all__ = ["extract_sql", "completion_text"]
