"""FlightRecorderAdapter: the Agent-Lightning contrib's name for importing a
flight recorder's log into a LightningStore.

    FlightRecorderAdapter(recorder).import_to_store(lightning_store)   # -> spans accepted

The same engine as FlightRecorderEmitter (it is one): the spans, routing,
filtering and honest counting are the emitter's.
"""

from __future__ import annotations

from .emitter import FlightRecorderEmitter


class FlightRecorderAdapter:
    def __init__(self, recorder, **emitter_options):
        self.emitter = FlightRecorderEmitter(recorder, **emitter_options)

    @property
    def recorder(self):
        return self.emitter.recorder

    def import_to_store(self, store) -> int:
        """Delivers every record not yet imported; returns the count accepted."""
        return self.emitter.emit_to_store(store)

    async def import_to_store_async(self, store) -> int:
        return await self.emitter.emit_to_store_async(store)

    def get_spans(self) -> list:
        return self.emitter.get_spans()

    def get_stats(self) -> dict:
        return self.emitter.get_stats()


__all__ = ["FlightRecorderAdapter"]
