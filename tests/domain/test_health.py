"""Health transitions: one event per change, never one per poll."""

from __future__ import annotations

from bot.domain import health
from bot.domain.health import Health, HealthEventKind
from bot.domain.model import FeedStatus

OK = Health(FeedStatus.OK, 0)


def test_failing_is_announced_once_at_the_threshold() -> None:
    state = OK
    events = []
    for _ in range(6):
        state, event = health.after_error(state, failing_after=3)
        events.append(event)
    assert events == [None, None, HealthEventKind.FAILING, None, None, None]
    assert state == Health(FeedStatus.FAILING, 6)


def test_recovery_is_announced_once() -> None:
    state, event = health.after_success(Health(FeedStatus.FAILING, 4))
    assert (state, event) == (OK, HealthEventKind.RECOVERED)
    assert health.after_success(state) == (OK, None)


def test_a_few_errors_then_success_say_nothing() -> None:
    state, _ = health.after_error(OK)
    assert health.after_success(state) == (OK, None)


def test_gone_pauses_once_and_throttling_changes_nothing() -> None:
    paused, event = health.after_gone(OK)
    assert (paused.status, event) == (FeedStatus.PAUSED, HealthEventKind.PAUSED)
    assert health.after_gone(paused)[1] is None
    assert health.after_throttle(Health(FeedStatus.FAILING, 2)) == (
        Health(FeedStatus.FAILING, 2),
        None,
    )
    assert health.after_error(paused)[0].status is FeedStatus.PAUSED
