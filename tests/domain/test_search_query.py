"""The search syntax, parsed once for every database."""

from __future__ import annotations

import pytest

from bot.domain.search_query import SearchQuery, SearchTerm, parse_search


def _t(*words: str, prefix: bool = False) -> SearchTerm:
    return SearchTerm(words, prefix=prefix)


def test_words_must_all_appear() -> None:
    assert parse_search("AI Act fines") == SearchQuery(((_t("AI"),), (_t("Act"),), (_t("fines"),)))


def test_a_phrase_is_one_term() -> None:
    assert parse_search('"AI Act" fines') == SearchQuery(((_t("AI", "Act"),), (_t("fines"),)))


def test_or_joins_its_neighbours() -> None:
    assert parse_search('meta OR "open ai" fines') == SearchQuery(
        ((_t("meta"), _t("open", "ai")), (_t("fines"),))
    )


def test_lowercase_or_is_a_word() -> None:
    assert parse_search("this or that") == SearchQuery(((_t("this"),), (_t("or"),), (_t("that"),)))


@pytest.mark.parametrize("text", ["meta -UK", "meta NOT UK", 'meta -"UK"'])
def test_not_and_minus_exclude(text: str) -> None:
    assert parse_search(text) == SearchQuery(((_t("meta"),),), excluded=(_t("UK"),))


def test_a_star_is_a_prefix() -> None:
    assert parse_search("regul*") == SearchQuery(((_t("regul", prefix=True),),))


@pytest.mark.parametrize("text", ["", "   ", '"""', "-meta", "NOT meta", "OR", "* - !", "NOT"])
def test_no_word_to_look_for_is_none(text: str) -> None:
    assert parse_search(text) is None


def test_database_syntax_is_reduced_to_words() -> None:
    assert parse_search("NEAR(meta, spotify) & !x") == SearchQuery(
        ((_t("NEAR", "meta"),), (_t("spotify"),), (_t("x"),))
    )


def test_an_unclosed_quote_ends_at_the_end() -> None:
    assert parse_search('meta "AI Act') == SearchQuery(((_t("meta"),), (_t("AI", "Act"),)))


def test_a_dangling_or_is_ignored() -> None:
    assert parse_search("OR meta OR") == SearchQuery(((_t("meta"),),))
