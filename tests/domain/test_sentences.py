"""Sentences keep exact offsets, so evidence is always a substring of the article."""

from __future__ import annotations

from bot.domain.sentences import split_sentences


def test_offsets_are_exact_and_abbreviations_do_not_split() -> None:
    text = (
        "Sen. Scott Wiener wrote the bill.  The U.S. should act, Mr. Smith said! "
        "Is it law?\nHeadline on its own line\nThe E.U. agreed.It was late."
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Sen. Scott Wiener wrote the bill.",
        "The U.S. should act, Mr. Smith said!",
        "Is it law?",
        "Headline on its own line",
        "The E.U. agreed.",
        "It was late.",
    ]
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
    assert [s.index for s in sentences] == list(range(len(sentences)))


def test_quotes_close_before_the_break() -> None:
    text = "\u201cWe will not sign.\u201d The firm left. \u201cNever,\u201d she said."
    assert [s.text for s in split_sentences(text)] == [
        "\u201cWe will not sign.\u201d",
        "The firm left.",
        "\u201cNever,\u201d she said.",
    ]


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("  \n ") == ()
