"""Whether a running policybot is alive, for a container's health check: pure, time passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_TICK_AGE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Liveness:
    ok: bool
    line: str


def tick_allowance(tick_seconds: float) -> timedelta:
    """Three missed ticks, but never under five minutes (a cycle can run that long)."""
    return max(MIN_TICK_AGE, timedelta(seconds=3 * tick_seconds))


def liveness(last_tick: datetime | None, *, now: datetime, max_age: timedelta) -> Liveness:
    """Healthy when the poll loop's last tick is at most ``max_age`` old."""
    if last_tick is None:
        return Liveness(
            False,
            "unhealthy: nothing has stamped the heartbeat yet (each ingestion cycle does, and a "
            "bot process each minute it is connected to Discord)",
        )
    age = now - last_tick
    seconds = int(age.total_seconds())
    if age > max_age:
        limit = int(max_age.total_seconds())
        return Liveness(False, f"unhealthy: the last heartbeat was {seconds}s ago (limit {limit}s)")
    return Liveness(True, f"ok: database answers, last heartbeat {seconds}s ago")
