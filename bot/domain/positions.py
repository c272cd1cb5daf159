"""Positions over time: what the stored claims add up to, for a company or for a law.

InfluenceMap-style and explainable: every claim is weighted by recency (full weight for two
years, fading to nothing at five), by who said it (the company itself > a report > an
allegation) and by extraction confidence. Reports of the same story from several outlets are
one event. A position is mixed when both sides carry real weight.

Weighing needs only light facts (``ClaimFact``: who, on what, which side, how sure, which
story, when), never the quotes, links or titles: a common name has thousands of claims, and
reading their text was most of ``/stance``'s time. ``weigh`` works on facts or on full
records alike and says which few events an answer shows (``Weighed.shown``); only those get
their text (``with_texts``). ``positions`` is the same computation on full records.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from bot.domain.model import Attribution, StanceLabel

FULL_WEIGHT_FOR = timedelta(days=2 * 365)
NO_WEIGHT_AFTER = timedelta(days=5 * 365)
MIXED_SHARE = 0.3  # each side needs this share of the weight for "mixed"
TREND_REPORTS = 2  # independent stories on the new side before a change of side is announced
NEWEST_SHOWN = 3  # newest events an answer quotes (the CLI shows three)
ATTRIBUTION_WEIGHT = {
    Attribution.STATED: 1.0,
    Attribution.REPORTED: 0.8,
    Attribution.ALLEGED: 0.4,
}


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A stored claim with where and when it was reported."""

    company_id: str
    target_id: str
    stance: StanceLabel
    evidence: str
    confidence: float
    attribution: Attribution
    item_id: int
    story_key: str  # the same story from several outlets shares this
    reported_at: datetime
    url: str | None = None
    title: str = ""


class ClaimFact(NamedTuple):
    """What weighing needs of a stored claim: everything but its quote, link and title.

    A named tuple, not a dataclass: a common name has thousands, and a frozen dataclass
    costs several times more to build.
    """

    claim_id: int
    company_id: str
    target_id: str
    stance: StanceLabel
    confidence: float
    attribution: Attribution
    item_id: int
    story_key: str
    reported_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimText:
    """What an answer shows of a claim besides its facts."""

    evidence: str
    url: str | None
    title: str


class WeighableClaim(Protocol):
    """A full record or a light fact: all that weighing reads."""

    @property
    def company_id(self) -> str: ...
    @property
    def target_id(self) -> str: ...
    @property
    def stance(self) -> StanceLabel: ...
    @property
    def confidence(self) -> float: ...
    @property
    def attribution(self) -> Attribution: ...
    @property
    def item_id(self) -> int: ...
    @property
    def story_key(self) -> str: ...
    @property
    def reported_at(self) -> datetime: ...


ClaimT = TypeVar("ClaimT", bound=WeighableClaim)


@dataclass(frozen=True, slots=True)
class Position:
    """One company on one target."""

    company_id: str
    target_id: str
    label: StanceLabel
    score: float  # -1 (oppose) .. +1 (support), weighted
    reports: int  # independent events (stories), not articles
    first: ClaimRecord
    latest: ClaimRecord
    changed: bool  # the side moved: TREND_REPORTS stories report the new side since the old one
    # The events an answer shows, newest first (see ``Weighed.shown``); ``reports`` counts all.
    evidence: tuple[ClaimRecord, ...]
    conflicting: bool = False  # the newest side differs, but fewer stories report it: no trend


@dataclass(frozen=True, slots=True)
class Weighed(Generic[ClaimT]):
    """A position worked out from facts or records, before the shown ones get their text."""

    company_id: str
    target_id: str
    label: StanceLabel
    score: float
    reports: int
    changed: bool
    # Newest first: the newest NEWEST_SHOWN events, the first one, the first and the latest
    # that take a side, and the newest on the position's own side (the quote a reply shows).
    shown: tuple[ClaimT, ...]
    conflicting: bool = False

    @property
    def first(self) -> ClaimT:
        return self.shown[-1]

    @property
    def latest(self) -> ClaimT:
        return self.shown[0]


@dataclass(frozen=True, slots=True)
class LawPositions:
    target_id: str
    supporters: tuple[Position, ...]
    opponents: tuple[Position, ...]
    mixed: tuple[Position, ...]
    neutral: tuple[Position, ...]


def weighing_day(now: datetime) -> datetime:
    """The start of ``now``'s UTC day, from which recency is counted: in whole days, so a
    pair weighs the same all day long and a position stored that day holds until midnight
    (a claim between two and five years old fades by about a thousandth a day)."""
    day = now.astimezone(UTC) if now.tzinfo is not None else now
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def weight(claim: WeighableClaim, *, now: datetime) -> float:
    age = weighing_day(now) - claim.reported_at
    if age <= FULL_WEIGHT_FOR:
        recency = 1.0
    elif age >= NO_WEIGHT_AFTER:
        recency = 0.0
    else:
        recency = (NO_WEIGHT_AFTER - age) / (NO_WEIGHT_AFTER - FULL_WEIGHT_FOR)
    return recency * ATTRIBUTION_WEIGHT[claim.attribution] * claim.confidence


def _weigher(now: datetime) -> Callable[[WeighableClaim], float]:
    """``weight`` at a fixed ``now``, same arithmetic, with the common cases cut short."""
    day = weighing_day(now)
    full_since = day - FULL_WEIGHT_FOR
    none_before = day - NO_WEIGHT_AFTER

    def weighed(claim: WeighableClaim) -> float:
        reported_at = claim.reported_at
        if reported_at >= full_since:
            return ATTRIBUTION_WEIGHT[claim.attribution] * claim.confidence
        if reported_at <= none_before:
            return 0.0
        return weight(claim, now=now)

    return weighed


def weigh(claims: Iterable[ClaimT], *, now: datetime) -> tuple[Weighed[ClaimT], ...]:
    """One weighed position per (company, target), strongest first.

    ``claims`` come ordered by report date (then claim id), as the store reads them.
    """
    grouped: dict[tuple[str, str], list[ClaimT]] = {}
    for claim in claims:
        grouped.setdefault((claim.company_id, claim.target_id), []).append(claim)
    weight_of = _weigher(now)
    found = [_weighed(group, weight_of) for group in grouped.values()]
    return tuple(sorted(found, key=lambda p: (-p.reports, -abs(p.score), p.target_id)))


def positions(claims: Iterable[ClaimRecord], *, now: datetime) -> tuple[Position, ...]:
    """One position per (company, target), strongest first."""
    return tuple(_position(found, found.shown) for found in weigh(claims, now=now))


def shown_claim_ids(weighed: Iterable[Weighed[ClaimFact]]) -> set[int]:
    """The claims whose text an answer shows: a handful per position, never thousands."""
    return {fact.claim_id for found in weighed for fact in found.shown}


@dataclass(frozen=True, slots=True)
class SettledPosition:
    """A pair's weighed position with the claims it shows named by id, as stored.

    ``weigh`` depends on ``now`` only through ``weight``, which counts recency from the start
    of ``now``'s day, and a claim no older than ``FULL_WEIGHT_FOR`` weighs the same whatever
    the day: so while the pair's claims stay as they were, this is what weighing them again
    gives all day, and on any later day while its oldest claim is that young (``holds_at``).
    A pair with fading claims is queued again on the next day (``PositionQueue.add_faded``).
    """

    company_id: str
    target_id: str
    label: StanceLabel
    score: float
    reports: int
    changed: bool
    conflicting: bool
    shown_claim_ids: tuple[int, ...]  # ``Weighed.shown``, newest first
    oldest_reported_at: datetime  # the pair's first claim, by report date then id
    oldest_claim_id: int
    weighed_at: datetime  # the ``now`` it was weighed at

    @property
    def pair(self) -> tuple[str, str]:
        return self.company_id, self.target_id

    @property
    def first_claim(self) -> tuple[datetime, int]:
        """Where the pair's claims begin: ``weigh`` orders equally strong positions by it."""
        return self.oldest_reported_at, self.oldest_claim_id

    def holds_at(self, now: datetime) -> bool:
        """Whether this is what weighing at ``now`` gives: it was weighed the same (UTC) day,
        whose weights it used, or no claim of the pair had begun to fade then, nor has now."""
        day, weighed_on = weighing_day(now), weighing_day(self.weighed_at)
        fresh_since = max(day, weighed_on) - FULL_WEIGHT_FOR
        return day == weighed_on or self.oldest_reported_at >= fresh_since

    def weighed(self, shown: Mapping[int, ClaimFact]) -> Weighed[ClaimFact] | None:
        """The position with its shown claims' facts; None when one of them is gone (or its
        id now names another pair's claim): the pair must be weighed afresh."""
        facts = tuple(shown.get(claim_id) for claim_id in self.shown_claim_ids)
        found = tuple(
            fact
            for fact in facts
            if fact is not None
            and fact.company_id == self.company_id
            and fact.target_id == self.target_id
        )
        if len(found) != len(facts):
            return None
        return Weighed(
            company_id=self.company_id,
            target_id=self.target_id,
            label=self.label,
            score=self.score,
            reports=self.reports,
            changed=self.changed,
            shown=found,
            conflicting=self.conflicting,
        )


def weigh_pairs(
    facts: Iterable[ClaimFact], *, now: datetime
) -> list[tuple[Weighed[ClaimFact], ClaimFact]]:
    """``weigh`` for each pair, with the pair's first claim (where ``ranked`` places it).

    ``facts`` come ordered by report date then claim id, as the store reads them.
    """
    first: dict[tuple[str, str], ClaimFact] = {}
    kept: list[ClaimFact] = []
    for fact in facts:
        first.setdefault((fact.company_id, fact.target_id), fact)
        kept.append(fact)
    return [(found, first[found.company_id, found.target_id]) for found in weigh(kept, now=now)]


def settle(facts: Iterable[ClaimFact], *, now: datetime) -> tuple[SettledPosition, ...]:
    """``weigh`` for each pair, as stored: the ids of what it shows, where its claims begin."""
    return tuple(
        SettledPosition(
            company_id=found.company_id,
            target_id=found.target_id,
            label=found.label,
            score=found.score,
            reports=found.reports,
            changed=found.changed,
            conflicting=found.conflicting,
            shown_claim_ids=tuple(fact.claim_id for fact in found.shown),
            oldest_reported_at=first.reported_at,
            oldest_claim_id=first.claim_id,
            weighed_at=now,
        )
        for found, first in weigh_pairs(facts, now=now)
    )


def ranked(
    found: Iterable[tuple[Weighed[ClaimT], tuple[datetime, int]]],
) -> tuple[Weighed[ClaimT], ...]:
    """Positions in ``weigh``'s order, each given with where its pair's claims begin: strongest
    first, then (as ``weigh`` keeps equals in the order their pairs first appear) oldest."""

    def strongest(entry: tuple[Weighed[ClaimT], tuple[datetime, int]]) -> tuple[Any, ...]:
        weighed, first = entry
        return (-weighed.reports, -abs(weighed.score), weighed.target_id, first)

    return tuple(weighed for weighed, _ in sorted(found, key=strongest))


def with_texts(
    weighed: Iterable[Weighed[ClaimFact]], texts: Mapping[int, ClaimText]
) -> tuple[Position, ...]:
    """Positions from weighed facts, the shown ones given their text (by claim id)."""
    return tuple(
        _position(found, tuple(_record(fact, texts[fact.claim_id]) for fact in found.shown))
        for found in weighed
    )


def law_positions(
    target_id: str,
    claims: Iterable[ClaimRecord],
    *,
    now: datetime,
    children: Collection[str] = (),
) -> LawPositions:
    """Who supports, opposes or is mixed on one target (and the laws below it, if given)."""
    wanted = {target_id, *children}
    found = positions((c for c in claims if c.target_id in wanted), now=now)
    return by_label(target_id, found, children=children)


def by_label(
    target_id: str, found: Sequence[Position], *, children: Collection[str] = ()
) -> LawPositions:
    """Positions on one target grouped by side, strongest first within each group.

    ``children`` (``Catalog.descendants``) rolls the laws below it up into the answer: asking
    about EU regulation shows the AI Act's supporters too, each position keeping its own
    ``target_id`` so that an answer can say which law it is about.
    """
    wanted = {target_id, *children}

    def having(label: StanceLabel) -> tuple[Position, ...]:
        return tuple(p for p in found if p.label is label and p.target_id in wanted)

    return LawPositions(
        target_id,
        supporters=having(StanceLabel.SUPPORT),
        opponents=having(StanceLabel.OPPOSE),
        mixed=having(StanceLabel.MIXED),
        neutral=having(StanceLabel.NEUTRAL),
    )


def _position(found: Weighed[ClaimT], shown: tuple[ClaimRecord, ...]) -> Position:
    return Position(
        company_id=found.company_id,
        target_id=found.target_id,
        label=found.label,
        score=found.score,
        reports=found.reports,
        first=shown[-1],
        latest=shown[0],
        changed=found.changed,
        evidence=shown,
        conflicting=found.conflicting,
    )


def _record(fact: ClaimFact, text: ClaimText) -> ClaimRecord:
    return ClaimRecord(
        company_id=fact.company_id,
        target_id=fact.target_id,
        stance=fact.stance,
        evidence=text.evidence,
        confidence=fact.confidence,
        attribution=fact.attribution,
        item_id=fact.item_id,
        story_key=fact.story_key,
        reported_at=fact.reported_at,
        url=text.url,
        title=text.title,
    )


def _weighed(
    claims: Sequence[ClaimT], weight_of: Callable[[WeighableClaim], float]
) -> Weighed[ClaimT]:
    events = _events(claims, weight_of)  # oldest first
    support = oppose = total = 0.0
    for claim in events:
        if claim.stance is StanceLabel.NEUTRAL:
            continue
        w = weight_of(claim)
        total += w
        if claim.stance is StanceLabel.SUPPORT:
            support += w
        elif claim.stance is StanceLabel.OPPOSE:
            oppose += w
        else:
            support += w / 2
            oppose += w / 2
    score = (support - oppose) / total if total else 0.0
    label = _label(support, oppose, total, stances={c.stance for c in events})
    stated = [i for i, c in enumerate(events) if c.stance is not StanceLabel.NEUTRAL]
    changed, conflicting = _trend(events, stated)
    first = events[0]
    return Weighed(
        company_id=first.company_id,
        target_id=first.target_id,
        label=label,
        score=round(score, 3),
        reports=len(events),
        changed=changed,
        shown=_shown(events, label, stated),
        conflicting=conflicting,
    )


def _trend(events: Sequence[WeighableClaim], stated: Sequence[int]) -> tuple[bool, bool]:
    """(changed, conflicting): a change of side needs TREND_REPORTS independent stories on the
    new side since the last one on the old side; a single contrary report only conflicts."""
    if len(stated) < 2:
        return False, False
    old, new = events[stated[0]].stance, events[stated[-1]].stance
    if old is new:
        return False, False
    last_old = max(i for i in stated if events[i].stance is old)
    since = sum(1 for i in stated if i > last_old and events[i].stance is new)
    return since >= TREND_REPORTS, since < TREND_REPORTS


def _shown(
    events: Sequence[ClaimT], label: StanceLabel, stated: Sequence[int]
) -> tuple[ClaimT, ...]:
    """The events a reply can quote, newest first (replies and the CLI read only these)."""
    newest = len(events) - 1
    picked = {0, *range(max(0, newest - NEWEST_SHOWN + 1), newest + 1)}
    if stated:
        picked.update((stated[0], stated[-1]))
    for index in range(newest, -1, -1):  # the newest evidence for the position's own side
        if on_side(events[index].stance, label):
            picked.add(index)
            break
    return tuple(events[index] for index in sorted(picked, reverse=True))


def on_side(stance: StanceLabel, label: StanceLabel) -> bool:
    """Whether a claim speaks for a position's side: its own, or any side for a mixed one."""
    return stance is label or (label is StanceLabel.MIXED and stance is not StanceLabel.NEUTRAL)


def _events(claims: Sequence[ClaimT], weight_of: Callable[[WeighableClaim], float]) -> list[ClaimT]:
    """One claim per story: the strongest, dated by the story's first report."""
    stories: dict[str, list[ClaimT]] = {}
    for claim in claims:
        stories.setdefault(claim.story_key, []).append(claim)
    events = [
        story[0]
        if len(story) == 1
        else max(story, key=lambda c: (weight_of(c), c.stance is not StanceLabel.NEUTRAL))
        for story in stories.values()
    ]
    return sorted(events, key=lambda c: (c.reported_at, c.item_id))


def _label(
    support: float, oppose: float, total: float, *, stances: set[StanceLabel]
) -> StanceLabel:
    if total <= 0:
        if stances - {StanceLabel.NEUTRAL}:
            return StanceLabel.MIXED if StanceLabel.MIXED in stances else _only(stances)
        return StanceLabel.NEUTRAL
    if support / total >= MIXED_SHARE and oppose / total >= MIXED_SHARE:
        return StanceLabel.MIXED
    return StanceLabel.SUPPORT if support > oppose else StanceLabel.OPPOSE


def _only(stances: set[StanceLabel]) -> StanceLabel:
    """All evidence too old to weigh: still say what it was."""
    for label in (StanceLabel.SUPPORT, StanceLabel.OPPOSE):
        if stances - {StanceLabel.NEUTRAL} == {label}:
            return label
    return StanceLabel.MIXED


@dataclass(frozen=True, slots=True)
class CompanyStance:
    """The answer to "/stance meta": the company's position law by law."""

    company_id: str
    name: str
    positions: tuple[Position, ...]


@dataclass(frozen=True, slots=True)
class LawStance:
    """The answer to "/stance ai-act": who supports, opposes or is mixed."""

    law_id: str
    name: str
    positions: LawPositions


@dataclass(frozen=True, slots=True)
class UnknownName:
    """Neither a company nor a law the catalog knows; ``suggestions`` look like it.

    ``company`` is set where a law was wanted (a ``target``) and the name is that company's.
    """

    name: str
    suggestions: tuple[str, ...]
    company: str | None = None


StanceAnswer = CompanyStance | LawStance | UnknownName
