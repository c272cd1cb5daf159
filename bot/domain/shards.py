"""Which servers a process serves when the bot runs as several Discord shards.

Discord routes a server's gateway events (and so its interactions) to shard
``(guild_id >> 22) % shard_count``; a process that connects only some shards also schedules
digests and tells admins only for the servers on those shards, so no two processes post for
one server and none is left out.
"""

from __future__ import annotations

from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to (its documented formula)."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class Shards:
    """The shards one process connects: ``ids`` out of ``count``."""

    count: int
    ids: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("a shard count is at least 1")
        if not self.ids:
            raise ValueError("at least one shard id")
        wrong = [shard for shard in self.ids if not 0 <= shard < self.count]
        if wrong:
            raise ValueError(f"shard ids must be below the shard count {self.count}: {wrong}")

    def covers(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.count) in self.ids

    def describe(self) -> str:
        return f"{','.join(map(str, self.ids))} of {self.count}"
