"""A LightningStore stand-in with Agent-Lightning v0.x's span semantics:
add_span/add_many_spans (async), every Span key required, a duplicate
(rollout_id, attempt_id, span_id) is skipped and returns None."""

SPAN_KEYS = ("rollout_id", "attempt_id", "sequence_id", "trace_id", "span_id", "parent_id", "name", "status",
             "attributes", "events", "links", "start_time", "end_time", "context", "parent", "resource")
ATTR_TYPES = (str, bool, int, float)


def validate_span(span):
    missing = [k for k in SPAN_KEYS if k not in span]
    if missing:
        raise ValueError(f"span lacks {missing}")
    for k in ("rollout_id", "attempt_id", "trace_id", "span_id", "name"):
        if not isinstance(span[k], str) or not span[k]:
            raise ValueError(f"{k} must be a non-empty str")
    if not isinstance(span["sequence_id"], int) or span["sequence_id"] < 1:
        raise ValueError("sequence_id must be a positive int")
    if span["status"]["status_code"] not in ("UNSET", "OK", "ERROR"):
        raise ValueError("bad status")
    for key, value in span["attributes"].items():
        if key.startswith(("agentlightning.reward", "reward", "agentops.task.output")):
            raise ValueError(f"audit span uses reward attribute {key}")
        if not isinstance(value, ATTR_TYPES) and not (
                isinstance(value, list) and all(isinstance(v, ATTR_TYPES) for v in value)):
            raise ValueError(f"attribute {key} has type {type(value).__name__}")
    for t in (span["start_time"], span["end_time"]):
        if t is not None and not isinstance(t, float):
            raise ValueError("times are float seconds")
    for e in span["events"]:
        if "name" not in e or "attributes" not in e:
            raise ValueError("bad event")
    if set(span["resource"]) != {"attributes", "schema_url"}:
        raise ValueError("bad resource")


class FakeLightningStore:
    def __init__(self, fail_after=None):
        self.spans = {}
        self.fail_after = fail_after
        self.calls = 0

    async def add_span(self, span):
        self.calls += 1
        if self.fail_after is not None and len(self.spans) >= self.fail_after:
            raise ConnectionError("store went away")
        validate_span(span)
        key = (span["rollout_id"], span["attempt_id"], span["span_id"])
        if key in self.spans:
            return None
        self.spans[key] = span
        return span


class SyncManyStore:
    def __init__(self):
        self.spans = []

    def add_many_spans(self, spans):
        for s in spans:
            validate_span(s)
        self.spans.extend(spans)
        return list(spans)
