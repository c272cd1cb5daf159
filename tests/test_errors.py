"""The feed errors: typed kinds, one text for people, and they survive pickling (workers)."""

from __future__ import annotations

import pickle

from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.errors import (
    DatabaseBusyError,
    DatabaseFullError,
    FeedError,
    FetchError,
    ParseError,
    PolicybotError,
    StorageError,
)

URL = "https://feed.example/rss"


def test_fetch_and_parse_errors_are_feed_errors_with_their_data() -> None:
    fetch = FetchError(URL, FeedErrorKind.HTTP, "HTTP 429", status=429, retry_after="120")
    parse = ParseError(URL, FeedErrorKind.PARSE_TIMEOUT, "parsing took over 5 s")

    assert isinstance(fetch, FeedError)
    assert isinstance(parse, FeedError)
    assert isinstance(fetch, PolicybotError)
    assert fetch.info == FeedErrorInfo(FeedErrorKind.HTTP, "HTTP 429", 429)
    assert parse.info == FeedErrorInfo(FeedErrorKind.PARSE_TIMEOUT, "parsing took over 5 s")
    assert str(fetch) == f"{URL}: http_429: HTTP 429"
    assert str(parse) == f"{URL}: timeout: parsing took over 5 s"


def test_both_survive_pickling_with_every_attribute() -> None:
    fetch = FetchError(URL, FeedErrorKind.HTTP, "HTTP 503", status=503, retry_after="60")
    parse = ParseError(URL, FeedErrorKind.NOT_A_FEED, "an HTML page, not a feed")

    fetched_back = pickle.loads(pickle.dumps(fetch))
    parsed_back = pickle.loads(pickle.dumps(parse))

    assert type(fetched_back) is FetchError
    assert (fetched_back.url, fetched_back.kind, fetched_back.reason) == (
        URL,
        FeedErrorKind.HTTP,
        "HTTP 503",
    )
    assert (fetched_back.status, fetched_back.retry_after) == (503, "60")
    assert str(fetched_back) == str(fetch)
    assert type(parsed_back) is ParseError
    assert parsed_back.info == parse.info
    assert parsed_back.kind is FeedErrorKind.NOT_A_FEED


def test_parse_and_fetch_timeouts_are_distinct_kinds() -> None:
    assert FeedErrorKind.PARSE_TIMEOUT is not FeedErrorKind.FETCH_TIMEOUT
    assert len({kind.value for kind in FeedErrorKind}) == len(FeedErrorKind)


def test_database_errors_say_what_is_wrong_and_that_nothing_was_lost_in_one_line() -> None:
    busy = DatabaseBusyError("the database is locked by another program", "database is locked", 30)
    full = DatabaseFullError("the disk holding the database is full", "database or disk is full")

    assert isinstance(busy, StorageError)
    assert str(busy) == (
        "the database is locked by another program for 30 s (database is locked); nothing "
        "stored was lost: try again once the other program is done with the database"
    )
    assert str(full) == (
        "the disk holding the database is full (database or disk is full); nothing stored was "
        "lost: free some space and run again"
    )
    assert str(pickle.loads(pickle.dumps(busy))) == str(busy)
