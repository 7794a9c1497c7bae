"""A governed multi-agent pipeline sharing one kernel.

    pipeline = Pipeline([research_agent, analysis_agent, report_agent],
                        budgets={"research_agent": 2.0})
    runner = GovernedRunner(pipeline.kernel)
    runner.init(pipeline)
    rollout = await runner.step("quarterly revenue")

The pipeline is itself an agent ``pipeline(task_input, handle)``: it runs
its agents in order, agent i receiving agent i-1's output. Each agent gets
its own scope: a handle with its own agent id (the one the kernel and every
violation record see, and the one ``agents:`` in a policy file matches) and
its own EpisodeState, so cost and tool-call limits count per agent. Every
hand-off between agents is itself governed: the output is checked as a
``message`` action of the agent that produced it before the next agent may
read it; a refused hand-off stops the pipeline (the next agent never sees
content the kernel refused), and the pipeline returns that Refusal (or the
handle raises PolicyViolationError with ``fail_on_violation``).

Kernel: the one given, or one built from ``policy`` (a Policy or list), or
by default ``SQLPolicy()`` (the engine's default deny list of destructive
SQL, WHERE required on UPDATE/DELETE). ``budgets={agent_id: usd}`` adds one
CostControlPolicy per agent, scoped to that agent with ``agents: [id]``; it
needs the pipeline to build its own kernel.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Callable

from .actions import GovernedHandle, Refusal
from .errors import InvalidArgument
from .kernel import KernelSpace, require_kernel
from .policies import CostControlPolicy, Policy, SQLPolicy

_ID_OK = re.compile(r"^[A-Za-z0-9_.-]{1,48}$")


def _agent_id(agent, index: int) -> str:
    name = getattr(agent, "agent_id", None) or getattr(agent, "__name__", None) or f"agent{index}"
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))[:48] or f"agent{index}"
    return name


def _handoff_text(value) -> str | bytes:
    if isinstance(value, (str, bytes)):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


class Pipeline:
    def __init__(self, agents, *, kernel: KernelSpace | None = None, policy=None,
                 budgets: dict | None = None, agent_ids=None):
        agents = list(agents)
        if not agents:
            raise InvalidArgument("Pipeline needs at least one agent")
        for a in agents:
            if not callable(a):
                raise TypeError(f"pipeline agents must be callables agent(input, handle), not {type(a).__name__}")
        if agent_ids is None:
            ids: list[str] = []
            seen: dict[str, int] = {}
            for i, a in enumerate(agents):
                base = _agent_id(a, i)
                n = seen.get(base, 0)
                seen[base] = n + 1
                ids.append(base if n == 0 else f"{base}.{n}")
        else:
            ids = [str(x) for x in agent_ids]
            if len(ids) != len(agents) or len(set(ids)) != len(ids):
                raise InvalidArgument("agent_ids must be unique and one per agent")
        self.agents = agents
        self.agent_ids = ids
        if kernel is not None:
            if policy is not None or budgets:
                raise InvalidArgument("give either kernel= or policy=/budgets=, not both "
                                      "(a kernel is immutable; budgets are policies in it)")
            self._kernel = require_kernel(kernel, "Pipeline")
        else:
            policies: list[Policy] = [SQLPolicy()] if policy is None else (
                [policy] if isinstance(policy, Policy) else list(policy))
            for agent_id, usd in (budgets or {}).items():
                if agent_id not in ids:
                    raise InvalidArgument(f"budget for unknown agent {agent_id!r} (agents: {ids})")
                if not _ID_OK.match(agent_id):
                    raise InvalidArgument(f"agent id {agent_id!r} cannot name a policy")
                policies.append(CostControlPolicy(max_cost_usd=usd, name=f"budget.{agent_id}",
                                                  agents=[agent_id]))
            self._kernel = KernelSpace(policy=policies)

    @property
    def kernel(self) -> KernelSpace:
        """The one kernel every agent of the pipeline is governed by."""
        return self._kernel

    async def __call__(self, task_input, handle: GovernedHandle):
        if not isinstance(handle, GovernedHandle):
            raise TypeError("a Pipeline runs under a governed handle (use GovernedRunner)")
        if handle.kernel is not self._kernel:
            # Different kernels would make the pipeline's policies silently
            # not apply; refuse rather than guess which one governs.
            raise InvalidArgument("the runner's kernel is not this pipeline's kernel; "
                                  "use GovernedRunner(pipeline.kernel)")
        value = task_input
        for agent, agent_id in zip(self.agents, self.agent_ids):
            scoped = handle.scoped(agent_id)
            out = agent(value, scoped)
            if inspect.isawaitable(out):
                out = await out
            if isinstance(out, Refusal):
                return out
            passed = scoped.message(_handoff_text(out))
            if isinstance(passed, Refusal):
                return passed
            value = out
        return value

    def __repr__(self):
        return f"Pipeline({self.agent_ids})"


__all__ = ["Pipeline"]
