"""How a batch of N environments is cut into shards, and how each shard is
seeded so that the union is the local VectorEnv with the same N and seed.

The local VectorEnv seeds env i with ``seed + i`` (mod 2^64: the engine adds
in uint64). Shard k owns the global envs ``[offset_k, offset_k + count_k)``
and its own VectorEnv numbers them ``0 .. count_k - 1``; reset with base
seed ``seed + offset_k`` it seeds its env j with ``seed + offset_k + j``,
which is exactly what the local VectorEnv gives global env ``offset_k + j``.
The same holds for the seed of the first reset that names none (the
engine's config seed) and for masked resets.

A shard restarted after its worker failed cannot continue the lost episodes;
it starts from a reset whose seeds are drawn from the block after the
whole batch's (``restart_seed``), so a restarted env never replays the
seeds of the run it replaces (for fewer than 2^64 / N restarts).
"""

from __future__ import annotations

import dataclasses
import numbers

from ..errors import InvalidArgument

U64 = 1 << 64


@dataclasses.dataclass(frozen=True)
class ShardSlice:
    """Shard ``index`` owns global envs [offset, offset + count)."""

    index: int
    offset: int
    count: int

    @property
    def stop(self) -> int:
        return self.offset + self.count


def plan_shards(num_envs: int, num_shards: int) -> list[ShardSlice]:
    """Contiguous, as-equal-as-possible slices (the first ``num_envs %
    num_shards`` shards get one env more). Every shard owns at least one env."""
    for name, v in (("num_envs", num_envs), ("num_shards", num_shards)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int, not {type(v).__name__}")
    if not 1 <= num_envs < 2**32:
        raise InvalidArgument(f"num_envs must be in [1, 2^32), not {num_envs}")
    if not 1 <= num_shards <= num_envs:
        raise InvalidArgument(f"num_shards must be in [1, num_envs = {num_envs}], not {num_shards}")
    base, extra = divmod(int(num_envs), int(num_shards))
    out, offset = [], 0
    for k in range(int(num_shards)):
        count = base + (1 if k < extra else 0)
        out.append(ShardSlice(k, offset, count))
        offset += count
    return out


def shard_seed(seed: int, offset: int) -> int:
    """The base seed shard ``offset`` is reset with: env j gets seed + offset + j."""
    return (int(seed) + int(offset)) % U64


def restart_seed(seed: int, offset: int, incarnation: int, num_envs: int) -> int:
    """The base seed of a shard's ``incarnation``-th restart (incarnation >= 1)."""
    if incarnation < 1:
        raise InvalidArgument("restart_seed is for incarnations >= 1; incarnation 0 uses shard_seed")
    return (int(seed) + int(offset) + int(incarnation) * int(num_envs)) % U64


__all__ = ["ShardSlice", "plan_shards", "shard_seed", "restart_seed", "U64"]
