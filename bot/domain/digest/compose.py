"""Composing a digest: candidate items in, a newsletter value out. Pure; knows nothing of Discord.

The facade gathers the candidates (relevant items from the feeds a server follows, not backlog,
not in the subscription's ledger, new since its previous run) with their analyses, claims,
story keys and feeds; ``compose_digest`` makes the newsletter:

- **One entry per story.** Items sharing a canonical URL (the same article in two feeds) or a
  story key (several outlets on one event, from clustering) are one story; its lead is the
  official source if there is one, else the item with stance claims, else the earliest. The
  others are "+N more sources" with their links. A story this subscription already posted is
  not posted again when another outlet reports it later: it is *covered*.
- **Chosen and ordered** by official sources, stance claims, breadth of coverage, then
  recency. The best ``max_stories`` become full entries, grouped in sections by law (or by
  jurisdiction where no specific law is named), sections ranked the same way, newest first
  inside each. The next ``OVERFLOW_LIMIT`` are *listed* as linked titles; any beyond that are
  *summarised*: counted, and recorded as such. A first run shows only the full entries.
- **Stance changes first**: a company whose position on a law, in this digest's reports,
  differs from its position at the previous run (or that takes a first position).
- **Counts** for the header, and how many followed feeds are failing, for the footer.

Every item the digest considered ends in exactly one of its stories, so the ledger can record
what happened to each (``Digest.dispositions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.catalog import Catalog
from bot.domain.digest.text import clean_title, extract_summary
from bot.domain.digest.topics import Topics, jurisdiction_name, matches
from bot.domain.model import (
    Attribution,
    DigestDisposition,
    FeedKind,
    StanceLabel,
)
from bot.domain.positions import ATTRIBUTION_WEIGHT
from bot.domain.urls import story_url

STANCE_VERBS = {
    StanceLabel.SUPPORT: "supports",
    StanceLabel.OPPOSE: "opposes",
    StanceLabel.MIXED: "is mixed on",
    StanceLabel.NEUTRAL: "is neutral on",
}
_STANCE_PAST = {
    StanceLabel.SUPPORT: "supported",
    StanceLabel.OPPOSE: "opposed",
    StanceLabel.MIXED: "was mixed on",
    StanceLabel.NEUTRAL: "was neutral on",
}
OVERFLOW_LIMIT = 40  # linked titles after the full entries; beyond them, only a count
STANCE_CHANGES_LIMIT = 10
BADGES_PER_KIND = 3
NO_JURISDICTION = "Other AI policy news"
_SIDES = (StanceLabel.SUPPORT, StanceLabel.OPPOSE)


@dataclass(frozen=True, slots=True)
class CandidateClaim:
    company_id: str
    target_id: str
    stance: StanceLabel
    evidence: str
    confidence: float
    attribution: Attribution


@dataclass(frozen=True, slots=True)
class Candidate:
    """A relevant item the digest may carry, with what analysis found and its feed."""

    item_id: int
    title: str
    url: str | None
    text: str
    feed_title: str
    feed_kind: FeedKind
    feed_jurisdictions: tuple[str, ...]
    published_at: datetime | None
    fetched_at: datetime
    story_key: str | None = None
    law_ids: tuple[str, ...] = ()  # most mentioned first
    company_ids: tuple[str, ...] = ()
    claims: tuple[CandidateClaim, ...] = ()

    @property
    def dated(self) -> datetime:
        return self.published_at or self.fetched_at


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str | None


@dataclass(frozen=True, slots=True)
class StanceBadge:
    company: str
    law: str
    stance: StanceLabel

    def describe(self) -> str:
        """ "Meta opposes EU AI Act"."""
        return f"{self.company} {STANCE_VERBS[self.stance]} {self.law}"


@dataclass(frozen=True, slots=True)
class Story:
    """One full entry: its lead item's clean title and summary, with badges and more sources."""

    title: str
    url: str | None
    source: str
    published_at: datetime | None
    summary: str
    official: bool
    laws: tuple[str, ...]
    companies: tuple[str, ...]
    stances: tuple[StanceBadge, ...]
    more_sources: tuple[Source, ...]
    item_ids: tuple[int, ...]  # the lead first


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    stories: tuple[Story, ...]


@dataclass(frozen=True, slots=True)
class ListedStory:
    """A story beyond ``max_stories``: a linked title and its source."""

    title: str
    url: str | None
    source: str
    item_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StanceChange:
    """A company's new side on a law since the previous run; ``before`` None: a first position."""

    company: str
    law: str
    before: StanceLabel | None
    after: StanceLabel
    evidence: str
    source: Source
    published_at: datetime | None
    item_id: int

    @property
    def quote(self) -> str:
        """The evidence in quotation marks (once, if it opens with its own)."""
        text = " ".join(self.evidence.split())
        return text if text[:1] in {"“", '"'} else f"“{text}”"

    def movement(self) -> str:
        """ "supported → now opposes", or "first position: supports"."""
        if self.before is None:
            return f"first position: {STANCE_VERBS[self.after]}"
        return f"{_STANCE_PAST[self.before]} → now {STANCE_VERBS[self.after]}"


@dataclass(frozen=True, slots=True)
class Digest:
    as_of: datetime
    stance_changes: tuple[StanceChange, ...] = ()
    sections: tuple[Section, ...] = ()
    listed: tuple[ListedStory, ...] = ()
    summarised_item_ids: tuple[int, ...] = ()
    summarised_stories: int = 0
    covered_item_ids: tuple[int, ...] = ()
    story_count: int = 0  # full, listed and summarised
    jurisdiction_count: int = 0
    failing_feeds: int = 0
    first_run: bool = False
    timezone: str = "UTC"  # where its readers are: the header's date is theirs

    @property
    def is_empty(self) -> bool:
        """Nothing to post (covered stories alone are recorded, never posted)."""
        return self.story_count == 0

    @property
    def full_stories(self) -> tuple[Story, ...]:
        return tuple(story for section in self.sections for story in section.stories)

    def dispositions(self) -> dict[int, DigestDisposition]:
        """What the digest does with every item it considered, for the ledger."""
        found: dict[int, DigestDisposition] = {}
        for story in self.full_stories:
            found.update(dict.fromkeys(story.item_ids, DigestDisposition.POSTED))
        for listed in self.listed:
            found.update(dict.fromkeys(listed.item_ids, DigestDisposition.LISTED))
        found.update(dict.fromkeys(self.summarised_item_ids, DigestDisposition.SUMMARISED))
        found.update(dict.fromkeys(self.covered_item_ids, DigestDisposition.COVERED))
        return found


@dataclass(slots=True)
class _Cluster:
    """A story being formed: its items, and what ranking reads."""

    items: list[Candidate]
    lead: Candidate
    official: bool
    has_claims: bool
    breadth: int  # distinct feeds
    newest: datetime


def compose_digest(
    candidates: Sequence[Candidate],
    *,
    catalog: Catalog,
    now: datetime,
    max_stories: int,
    topics: Topics | None = None,
    previous_positions: Mapping[tuple[str, str], StanceLabel] | None = None,
    already_posted: Iterable[str] = (),
    failing_feeds: int = 0,
    first_run: bool = False,
    timezone: str = "UTC",
) -> Digest:
    """The digest of ``candidates`` at ``now``.

    ``previous_positions`` maps (company, law) to the side it took as of the previous run;
    ``already_posted`` holds the story keys and story URLs this subscription has posted.
    """
    posted = frozenset(already_posted)
    keys = [_keys_of(item) for item in candidates]  # URL canonicalisation: once per item
    covered: list[int] = []
    stories: list[_Cluster] = []
    for group in _group(candidates, keys):
        if any(keys[index] & posted for index in group):
            covered.extend(candidates[index].item_id for index in group)
            continue
        group_items = [candidates[index] for index in group]
        if topics and not any(_about(item, topics, catalog) for item in group_items):
            continue
        stories.append(_cluster(group_items))
    stories.sort(key=_rank, reverse=True)
    full = stories[: max(max_stories, 0)]
    overflow_limit = 0 if first_run else OVERFLOW_LIMIT
    listed = sorted(
        stories[len(full) : len(full) + overflow_limit], key=lambda c: c.newest, reverse=True
    )
    summarised = stories[len(full) + len(listed) :]
    carried = [*full, *listed, *summarised]
    return Digest(
        as_of=now,
        stance_changes=_stance_changes(carried, previous_positions or {}, catalog),
        sections=_sections(full, catalog),
        listed=tuple(_listed(cluster) for cluster in listed),
        summarised_item_ids=tuple(item.item_id for c in summarised for item in c.items),
        summarised_stories=len(summarised),
        covered_item_ids=tuple(covered),
        story_count=len(carried),
        jurisdiction_count=len({code for c in carried for code in _jurisdictions(c, catalog)}),
        failing_feeds=failing_feeds,
        first_run=first_run,
        timezone=timezone,
    )


def story_keys(
    story_key: str | None, url: str | None, *, item_id: int | None = None
) -> frozenset[str]:
    """The keys by which a posted item's story is recognised later: its cluster and its URL."""
    keys = {f"key:{story_key}"} if story_key else set()
    if url:
        keys.add(f"url:{story_url(url)}")
    if not keys and item_id is not None:
        keys.add(f"item:{item_id}")
    return frozenset(keys)


def _keys_of(item: Candidate) -> frozenset[str]:
    return story_keys(item.story_key, item.url, item_id=item.item_id)


def _group(candidates: Sequence[Candidate], keys: Sequence[frozenset[str]]) -> list[list[int]]:
    """Indexes of the items that share a story key or a canonical URL, transitively, in
    first-seen order."""
    parent = list(range(len(candidates)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_with: dict[str, int] = {}
    for index, item_keys in enumerate(keys):
        for key in item_keys:
            other = first_with.setdefault(key, index)
            if other != index:
                parent[root(index)] = root(other)
    groups: dict[int, list[int]] = {}
    for index in range(len(candidates)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def _cluster(items: list[Candidate]) -> _Cluster:
    lead = min(
        items,
        key=lambda i: (i.feed_kind is not FeedKind.OFFICIAL, not i.claims, i.dated, i.item_id),
    )
    others = sorted((i for i in items if i is not lead), key=lambda i: (i.dated, i.item_id))
    ordered = [lead, *others]
    return _Cluster(
        items=ordered,
        lead=lead,
        official=any(i.feed_kind is FeedKind.OFFICIAL for i in items),
        has_claims=any(i.claims for i in items),
        breadth=len({i.feed_title for i in items}),
        newest=max(i.dated for i in items),
    )


def _rank(cluster: _Cluster) -> tuple[bool, bool, int, datetime]:
    return (cluster.official, cluster.has_claims, cluster.breadth, cluster.newest)


def _about(item: Candidate, topics: Topics, catalog: Catalog) -> bool:
    return matches(
        topics,
        catalog,
        law_ids=item.law_ids,
        company_ids=(*item.company_ids, *(claim.company_id for claim in item.claims)),
        jurisdictions=_item_jurisdictions(item, catalog),
    )


def _item_jurisdictions(item: Candidate, catalog: Catalog) -> list[str]:
    codes = [law.jurisdiction.upper() for law in map(catalog.law, item.law_ids) if law]
    return [*codes, *(label.upper() for label in item.feed_jurisdictions)]


def _jurisdictions(cluster: _Cluster, catalog: Catalog) -> set[str]:
    return {code for item in cluster.items for code in _item_jurisdictions(item, catalog) if code}


def _section_heading(cluster: _Cluster, catalog: Catalog) -> str:
    """The story's most specific law, else its jurisdiction, else the catch-all."""
    for item in cluster.items:
        for law_id in item.law_ids:
            law = catalog.law(law_id)
            if law is not None and not law.generic:
                return law.name
    for item in cluster.items:
        codes = [code for code in _item_jurisdictions(item, catalog) if code != "INTL"]
        if codes:
            return jurisdiction_name(codes[0])
    if any("INTL" in _item_jurisdictions(item, catalog) for item in cluster.items):
        return jurisdiction_name("INTL")
    return NO_JURISDICTION


def _sections(full: list[_Cluster], catalog: Catalog) -> tuple[Section, ...]:
    grouped: dict[str, list[_Cluster]] = {}
    for cluster in full:
        grouped.setdefault(_section_heading(cluster, catalog), []).append(cluster)

    def section_rank(heading: str) -> tuple[int, int, int, datetime]:
        clusters = grouped[heading]
        return (
            sum(c.official for c in clusters),
            sum(c.has_claims for c in clusters),
            sum(c.breadth for c in clusters),
            max(c.newest for c in clusters),
        )

    headings = sorted(sorted(grouped), key=section_rank, reverse=True)
    return tuple(
        Section(
            heading,
            tuple(
                _story(cluster, catalog)
                for cluster in sorted(grouped[heading], key=lambda c: c.newest, reverse=True)
            ),
        )
        for heading in headings
    )


def _story(cluster: _Cluster, catalog: Catalog) -> Story:
    lead = cluster.lead
    title = clean_title(lead.title, lead.feed_title) or "Untitled"
    texts = sorted((i.text for i in cluster.items), key=lambda t: t is not lead.text)
    summary = next((found for text in texts if (found := extract_summary(text, title=title))), "")
    return Story(
        title=title,
        url=lead.url,
        source=lead.feed_title,
        published_at=lead.published_at,
        summary=summary,
        official=cluster.official,
        laws=_names(
            (law for item in cluster.items for law in item.law_ids), catalog, companies=False
        ),
        companies=_names(
            (c for item in cluster.items for c in item.company_ids), catalog, companies=True
        ),
        stances=_badges(cluster, catalog),
        more_sources=_more_sources(cluster),
        item_ids=tuple(item.item_id for item in cluster.items),
    )


def _listed(cluster: _Cluster) -> ListedStory:
    lead = cluster.lead
    return ListedStory(
        title=clean_title(lead.title, lead.feed_title) or "Untitled",
        url=lead.url,
        source=lead.feed_title,
        item_ids=tuple(item.item_id for item in cluster.items),
    )


def _names(ids: Iterable[str], catalog: Catalog, *, companies: bool) -> tuple[str, ...]:
    names: list[str] = []
    for entity_id in dict.fromkeys(ids):
        entry = catalog.company(entity_id) if companies else catalog.law(entity_id)
        if entry is not None and entry.name not in names:
            names.append(entry.name)
    return tuple(names[:BADGES_PER_KIND])


def _more_sources(cluster: _Cluster) -> tuple[Source, ...]:
    """The other items' feeds and links, one per distinct article (the lead's URL excluded)."""
    seen = {story_url(cluster.lead.url)} if cluster.lead.url else set()
    sources: list[Source] = []
    for item in cluster.items[1:]:
        key = story_url(item.url) if item.url else f"item:{item.item_id}"
        if key in seen:
            continue
        seen.add(key)
        sources.append(Source(item.feed_title, item.url))
    return tuple(sources)


def _weight(claim: CandidateClaim) -> float:
    return ATTRIBUTION_WEIGHT[claim.attribution] * claim.confidence


def _sides(cluster_items: Iterable[Candidate]) -> dict[tuple[str, str], StanceLabel]:
    """Per (company, law): the side the items' claims weigh most for (neutral claims aside)."""
    weights: dict[tuple[str, str], dict[StanceLabel, float]] = {}
    for item in cluster_items:
        for claim in item.claims:
            if claim.stance in _SIDES:
                side = weights.setdefault((claim.company_id, claim.target_id), {})
                side[claim.stance] = side.get(claim.stance, 0.0) + _weight(claim)
    return {pair: max(side, key=lambda s: (side[s], s.value)) for pair, side in weights.items()}


def _badges(cluster: _Cluster, catalog: Catalog) -> tuple[StanceBadge, ...]:
    badges = [
        StanceBadge(_company(company, catalog), _law(law, catalog), side)
        for (company, law), side in _sides(cluster.items).items()
    ]
    return tuple(badges[:BADGES_PER_KIND])


def _stance_changes(
    carried: list[_Cluster],
    previous: Mapping[tuple[str, str], StanceLabel],
    catalog: Catalog,
) -> tuple[StanceChange, ...]:
    items = [item for cluster in carried for item in cluster.items]
    best: dict[tuple[str, str, StanceLabel], tuple[CandidateClaim, Candidate]] = {}
    for item in items:
        for claim in item.claims:
            key = (claim.company_id, claim.target_id, claim.stance)
            found = best.get(key)
            if found is None or _evidence_rank(claim, item) > _evidence_rank(*found):
                best[key] = (claim, item)
    changes: list[tuple[float, StanceChange]] = []
    for pair, side in _sides(items).items():
        before = previous.get(pair)
        if before is side:
            continue
        claim, item = best[(*pair, side)]
        change = StanceChange(
            company=_company(pair[0], catalog),
            law=_law(pair[1], catalog),
            before=before,
            after=side,
            evidence=claim.evidence,
            source=Source(item.feed_title, item.url),
            published_at=item.published_at,
            item_id=item.item_id,
        )
        changes.append((_weight(claim), change))
    # Reversals before first positions, then the best-evidenced first.
    changes.sort(key=lambda found: (found[1].before is None, -found[0], found[1].company))
    return tuple(change for _, change in changes[:STANCE_CHANGES_LIMIT])


def _evidence_rank(claim: CandidateClaim, item: Candidate) -> tuple[float, datetime, int]:
    """The quote a stance change shows: the strongest claim, then the newest, then the first."""
    return (_weight(claim), item.dated, -item.item_id)


def _company(company_id: str, catalog: Catalog) -> str:
    company = catalog.company(company_id)
    return company.name if company is not None else company_id


def _law(law_id: str, catalog: Catalog) -> str:
    law = catalog.law(law_id)
    return law.name if law is not None else law_id
