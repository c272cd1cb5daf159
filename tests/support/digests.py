"""Builders for digest tests: feeds and analysed items straight into the database, and a
subscription made the way ``/digest add`` makes it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.digest.subscription import RequestRefused, SubscriptionRequest, SubscriptionView
from bot.domain.model import Attribution, DigestCadence, EntityKind, FeedStatus, StanceLabel
from bot.storage.schema import Feed, Guild, GuildFeed, Item, ItemAnalysis, Mention, StanceClaim
from tests.support.clock import NOW


@dataclass(frozen=True)
class NewsItem:
    title: str
    summary: str = "Regulators set out new rules for artificial intelligence on Tuesday."
    url: str | None = None
    hours_ago: float = 1
    laws: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    # (company, law, stance, evidence)
    claims: tuple[tuple[str, str, StanceLabel, str], ...] = ()
    story_key: str | None = None
    relevant: bool = True
    backlog: bool = False


async def add_feed(
    sessions: async_sessionmaker[AsyncSession],
    *,
    url: str,
    title: str,
    kind: str = "news",
    jurisdictions: Sequence[str] = (),
    in_instance_list: bool = True,
    followed_by: Sequence[int] = (),
    status: FeedStatus = FeedStatus.OK,
) -> int:
    """A feed, in the instance list or followed by the given servers only; its id."""
    async with sessions.begin() as session:
        feed = Feed(
            url=url,
            title=title,
            kind=kind,
            jurisdictions=list(jurisdictions),
            tags=[],
            in_instance_list=in_instance_list,
            status=status,
            created_at=NOW - timedelta(days=30),
        )
        session.add(feed)
        await session.flush()
        for guild_id in followed_by:
            if await session.get(Guild, guild_id) is None:
                session.add(Guild(id=guild_id, name="", created_at=NOW, updated_at=NOW))
                await session.flush()
            session.add(GuildFeed(guild_id=guild_id, feed_id=feed.id, added_at=NOW))
        return feed.id


async def add_items(
    sessions: async_sessionmaker[AsyncSession],
    feed_id: int,
    items: Sequence[NewsItem],
    *,
    now: datetime = NOW,
) -> list[int]:
    """Analysed items of one feed (relevance, mentions, claims as analysis stores them)."""
    ids: list[int] = []
    async with sessions.begin() as session:
        for item in items:
            when = now - timedelta(hours=item.hours_ago)
            row = Item(
                feed_id=feed_id,
                key=hashlib.sha256(f"{feed_id}:{item.title}:{item.url}".encode()).hexdigest(),
                url=item.url or f"https://news{feed_id}.example/{len(ids)}-{abs(hash(item.title))}",
                title=item.title,
                summary=item.summary,
                published_at=when,
                fetched_at=when,
                content_hash=hashlib.sha256(item.title.encode()).hexdigest(),
                revision=0,
                is_backlog=item.backlog,
                story_key=item.story_key,
            )
            session.add(row)
            await session.flush()
            ids.append(row.id)
            session.add(
                ItemAnalysis(
                    item_id=row.id,
                    is_relevant=item.relevant,
                    relevance=0.9 if item.relevant else 0.1,
                    reasons=[],
                    analysed_at=when,
                    analyser_version="test",
                )
            )
            for kind, entity_ids in (
                (EntityKind.LAW, item.laws),
                (EntityKind.COMPANY, item.companies),
            ):
                for entity_id in entity_ids:
                    session.add(
                        Mention(
                            item_id=row.id,
                            kind=kind,
                            entity_id=entity_id,
                            surface=entity_id,
                            count=1,
                        )
                    )
            for index, (company, law, stance, evidence) in enumerate(item.claims):
                session.add(
                    StanceClaim(
                        item_id=row.id,
                        company_id=company,
                        target_id=law,
                        stance=stance,
                        evidence=evidence,
                        sentence_index=index,
                        confidence=0.9,
                        attribution=Attribution.STATED,
                        is_relevant=item.relevant,
                        story_key=item.story_key or f"item:{row.id}",
                        reported_at=when,
                    )
                )
    return ids


async def subscribe(
    app: Application,
    guild_id: int,
    channel_id: int,
    *,
    cadence: DigestCadence = DigestCadence.DAILY,
    time: str = "09:00",
    now: datetime = NOW - timedelta(days=1),
    **request: object,
) -> SubscriptionView:
    """A subscription as ``/digest add`` stores it; fails the test on a refusal."""
    found = await app.digests.add(
        guild_id,
        SubscriptionRequest(channel_id, cadence, time, **request),  # type: ignore[arg-type]
        guild_name="Guild",
        created_by=1,
        now=now,
    )
    assert not isinstance(found, RequestRefused), found
    return found
