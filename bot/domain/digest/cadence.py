"""When a digest posts: a cadence, a local time of day, a weekday, in a timezone.

Pure parsing and wording for ``/digest add`` and ``/digest list``; the scheduler (APScheduler's
``CronTrigger``, in ``bot.app.digest_schedule``) turns the same fields into fire times.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.model import DigestCadence

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class Cadence:
    """A subscription's schedule; ``weekday`` (0 = Monday) only for weekly digests."""

    kind: DigestCadence
    hour: int
    minute: int
    weekday: int | None = None

    @property
    def time_of_day(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    def describe(self) -> str:
        """The schedule in words: "every day at 09:00", "every Monday at 08:30"."""
        if self.kind is DigestCadence.DAILY:
            return f"every day at {self.time_of_day}"
        if self.kind is DigestCadence.WEEKDAYS:
            return f"weekdays (Monday to Friday) at {self.time_of_day}"
        day = WEEKDAYS[self.weekday or 0].capitalize()
        return f"every {day} at {self.time_of_day}"


def parse_time_of_day(text: str) -> tuple[int, int] | None:
    """``"09:00"`` or ``"9:00"`` as (hour, minute), 24-hour; None for anything else."""
    match = _TIME.match(text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def parse_weekday(text: str) -> int | None:
    """A weekday name or its first three letters (``mon``, ``Monday``) as 0-6; else None."""
    wanted = text.strip().casefold()
    for number, name in enumerate(WEEKDAYS):
        if wanted in {name, name[:3]}:
            return number
    return None


def canonical_timezone(name: str, available: Iterable[str]) -> str | None:
    """The IANA name as the database spells it (``europe/brussels`` -> ``Europe/Brussels``)."""
    wanted = name.strip()
    by_folded = {zone.casefold(): zone for zone in available}
    return by_folded.get(wanted.casefold())


def close_timezones(name: str, available: Iterable[str], *, limit: int = 3) -> tuple[str, ...]:
    """IANA names like ``name``: ``Europe/Brusels`` -> ``Europe/Brussels``; ``Brussels`` too."""
    zones = sorted(available)
    wanted = name.strip().casefold().replace(" ", "_")
    by_city = [zone for zone in zones if zone.casefold().rsplit("/", 1)[-1] == wanted]
    folded = {zone.casefold(): zone for zone in zones}
    close = difflib.get_close_matches(wanted, list(folded), n=limit, cutoff=0.6)
    return tuple(dict.fromkeys([*by_city, *(folded[zone] for zone in close)]))[:limit]
