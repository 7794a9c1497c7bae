"""AuditVerifyingHooks: Agent Lightning v1 RolloutHooks that accept a
succeeded rollout only when its events are backed by its audit log.

    # the trainer's config (agentlightning 1.0.x): agentlightning.hooks: <path of this file>
    # or directly: AglRolloutManager(..., hooks=AuditVerifyingHooks())

On ``on_succeeded`` it runs ``v1.check_rollout`` on each attempt's events
(the audit log verifies and is the file reported, the violation events are
exactly the log's violations, a PolicyReward reward is present). A rollout
that fails the check is failed the only way v1 lets a hook fail a rollout
that the controller already marked succeeded (terminal states are final):
the hook appends ``agent_os.audit_rejected`` (the reason) and a last
``reward`` event whose value is null, so the trainer reads no reward for
it (the trainer takes the last reward event) and the audit trail says why.
``rejected`` maps rollout id -> reason, for the caller.

Imports agentlightning (1.0.x) and uses absolute imports only, so
``agentlightning.hooks.load_hooks(path)`` can load this file on its own: it
defines exactly one RolloutHooks subclass.
"""

from __future__ import annotations

from agentlightning.hooks import RolloutHooks

from agent_os.integrations.agent_lightning.v1 import EVENT_REJECTED, check_rollout


class AuditVerifyingHooks(RolloutHooks):
    def __init__(self, key: bytes | None = None):
        self.key = key
        self.rejected: dict = {}
        self.accepted: set = set()

    def on_succeeded(self, rollout, events, store) -> None:
        for attempt_id, attempt_events in events.items():
            try:
                reason = check_rollout(attempt_events, key=self.key)
            except Exception as e:  # noqa: BLE001 - events the check cannot read are rejected, not waved through
                reason = f"the rollout's events cannot be checked: {type(e).__name__}: {e}"
            if reason is None:
                self.accepted.add(rollout.rollout_id)
                continue
            self.rejected[rollout.rollout_id] = reason
            store.add_event(rollout.rollout_id, attempt_id, EVENT_REJECTED, {"reason": reason})
            store.add_event(rollout.rollout_id, attempt_id, "reward",
                            {"value": None, "source": "agent_os.AuditVerifyingHooks", "reason": "audit_rejected"})
