"""Prompts for GRPOTrainer from the governed SQL env's own tasks.

    ds = sql_prompts_dataset(32)     # columns: prompt, task_id

Each row is one task of the split: ``prompt`` is the instruction followed by
the engine's observation text for the task (its question and the database
schema), as a string, or with ``conversational=True`` as one user message;
``task_id`` is the engine's task index, which GovernedSqlReward pins each
env to when it scores that row's completions.
"""

from __future__ import annotations

from typing import Any

from .sql_env import SqlEnvSpec, pinner_for

INSTRUCTION = ("Write one SQLite query that answers the question. "
               "Give the query in a ```sql fenced block.")

# Envs reset together while drawing tasks (one reset call draws this many).
_DRAW_BATCH = 16


def sql_prompts_dataset(num_prompts: int, *, spec: SqlEnvSpec | None = None, seed: int = 0,
                        instruction: str = INSTRUCTION, conversational: bool = False) -> Any:
    """A ``datasets.Dataset`` of ``num_prompts`` distinct tasks of the spec's
    split, in the order the engine draws them from seeds seed, seed + 1, ...
    (so the same arguments give the same dataset)."""
    import datasets  # noqa: PLC0415 - optional dependency (requirements/llm.txt)

    if isinstance(num_prompts, bool) or not isinstance(num_prompts, int) or num_prompts < 1:
        raise ValueError(f"num_prompts must be an int >= 1, not {num_prompts!r}")
    spec = spec or SqlEnvSpec()
    pinner = pinner_for(spec)
    env = spec.make_env(_DRAW_BATCH)
    try:
        task_ids = pinner.draw(env, num_prompts, seed)
        texts = [prompt_text(instruction, pinner.observation(env, t)) for t in task_ids]
    finally:
        env.close()
    prompts: list[Any] = [[{"role": "user", "content": t}] for t in texts] if conversational else texts
    return datasets.Dataset.from_dict({"prompt": prompts, "task_id": task_ids})


def prompt_text(instruction: str, observation: str) -> str:
    return f"{instruction}\n\n{observation.rstrip()}\n" if instruction else observation


__all__ = ["sql_prompts_dataset", "prompt_text", "INSTRUCTION"]
