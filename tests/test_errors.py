"""The feed errors: typed kinds, one text for people, and they survive pickling (workers)."""

from __future__ import annotations

import pickle

from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.errors import FeedError, FetchError, ParseError, PolicybotError

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
