"""Delivering a digest, the pure decisions: nonces, retry backoff, and what a run reports.

Each message part carries a nonce derived from its run and its place in it. Sent with
``enforce_nonce``, Discord answers a repeat within its nonce window (a few minutes) with the
message it already created instead of posting it twice, so a retry after a crash or a lost
answer is safe. Transient failures (5xx, a 429 beyond the client's retries, a timeout) are
retried with exponential backoff; 403 and 404 pause the subscription instead.

Discord allows a bot 50 requests a second in all, and discord.py only sleeps out the global
429s it gets; ``SendPacing`` spaces a process's digest messages evenly under that instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

NONCE_LENGTH = 25  # Discord's limit
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)


def part_nonce(run_id: int, part: int, created_at: datetime) -> str:
    """The same string for the same (run, part), every time; 25 characters, Discord's most.

    The run's creation time is in the seed, so a run id reused after a database reset
    never repeats an earlier nonce.
    """
    seed = f"policybot-digest:{run_id}:{part}:{created_at.isoformat()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:NONCE_LENGTH]


def retry_delay(failures: int) -> timedelta:
    """1, 2, 4, ... minutes after the 1st, 2nd, 3rd ... failure in a row, at most an hour."""
    exponent = min(max(failures - 1, 0), 10)
    delay: timedelta = FIRST_RETRY * (2**exponent)
    return min(delay, MAX_RETRY)


class SendPacing:
    """Evenly spaced sends, ``per_second`` at most: each send takes the next free slot.

    Times are seconds on any monotonic clock, passed in.
    """

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._spacing = 1.0 / per_second
        self._next = float("-inf")

    def reserve(self, now: float) -> float:
        """Take the next slot; how long to wait for it (0 when it is free now)."""
        start = max(now, self._next)
        self._next = start + self._spacing
        return start - now


class RunOutcome(StrEnum):
    POSTED = "posted"  # every part accepted
    NOTHING_NEW = "nothing-new"  # nothing to post; nothing sent
    RETRYING = "retrying"  # a transient failure: the rest is pending, retried with backoff
    PAUSED = "paused"  # Discord refused the channel (403/404): paused until resumed
    FAILED = "failed"  # Discord refused the message as built (400): given up, logged
    SKIPPED = "skipped"  # paused already, or gone


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run of a subscription did."""

    subscription_id: int
    outcome: RunOutcome
    parts_sent: int = 0  # by this run
    parts_total: int = 0
    stories: int = 0
    run_id: int | None = None
    retry_at: datetime | None = None
    reason: str | None = None

    def describe(self) -> str:
        """The subscription's "last result", in words."""
        if self.outcome is RunOutcome.POSTED:
            return f"posted {self.stories} stor{'y' if self.stories == 1 else 'ies'} in " + (
                f"{self.parts_total} message{'' if self.parts_total == 1 else 's'}"
            )
        if self.outcome is RunOutcome.NOTHING_NEW:
            return "nothing new to post"
        if self.outcome is RunOutcome.RETRYING:
            return f"interrupted: {self.reason}; the rest is retried"
        if self.outcome is RunOutcome.PAUSED:
            return f"paused: {self.reason}"
        if self.outcome is RunOutcome.FAILED:
            return f"failed: {self.reason}"
        return f"skipped: {self.reason}"
