"""SendPacing: a process's digest messages spaced evenly, never more than its rate a second."""

from __future__ import annotations

import random

import pytest

from bot.domain.digest.delivery import SendPacing


def test_a_burst_is_spaced_evenly_and_an_idle_pacer_sends_at_once() -> None:
    pacing = SendPacing(40)

    burst = [pacing.reserve(100.0) for _ in range(4)]
    later = pacing.reserve(200.0)

    assert burst == pytest.approx([0.0, 0.025, 0.05, 0.075])
    assert later == 0.0


def test_no_second_ever_holds_more_sends_than_the_rate() -> None:
    rng = random.Random(3)
    pacing = SendPacing(10)
    now, starts = 0.0, []
    for _ in range(500):
        now += rng.expovariate(30)  # arrivals three times faster than the rate
        starts.append(now + pacing.reserve(now))

    assert starts == sorted(starts)
    assert all(
        later - earlier >= 1.0 - 1e-9 for earlier, later in zip(starts, starts[10:], strict=False)
    )


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SendPacing(0)
