"""Relevance asks for governance of the technology, not the two words side by side."""

from __future__ import annotations

import pytest

from bot.domain.analysis import Analyser

RELEVANT = [
    (
        "Senate passes AI bill",
        "The bill would require frontier model developers to publish safety plans.",
    ),
    (
        "Deepfake rules",
        "A new state law regulating the use of deepfakes in elections was challenged.",
    ),
    ("Face scans", "The city council voted for a ban on facial recognition by police."),
    ("Code signed", "Mistral AI said it would sign the GPAI code of practice."),
    # a rule-maker's verb reaches its object a few words on
    (
        "New rule compels social platforms to mark AI-generated posts",
        "Platforms began adding the marks this week.",
    ),
    # "the technology" is the AI the title named
    (
        "CEO warns on AI",
        "Authorities must write guidelines for the technology, he said. "
        "Lawmakers should regulate the technology soon.",
    ),
    ("Biometrics", "The app maker settled a suit under the Biometric Information Privacy Act."),
    (
        "Authors settle copyright suit over AI training",
        "The settlement resolves copyright claims over AI training on books.",
    ),
]
IRRELEVANT = [
    (
        "Bank compliance gets smarter",
        "Banks use machine learning to help compliance officers and regulators spot fraud.",
    ),
    ("Chip deal", "Samsung will make AI chips for Tesla, a regulatory filing shows."),
    ("Record fine", "Meta was fined under the GDPR over data transfers to the US."),
    ("Phone launch", "The new phone has a faster camera and a bigger battery."),
    ("Wage suit", "Gig workers sued an AI training firm over unpaid wages in a lawsuit."),
    ("New tech", "Regulators approved the merger. The technology behind it is old."),
]


@pytest.mark.parametrize(("title", "text"), RELEVANT)
def test_governance_of_the_technology_is_relevant(
    analyser: Analyser, title: str, text: str
) -> None:
    relevance = analyser.analyse(title, text).relevance
    assert relevance.is_relevant, relevance
    assert relevance.reasons


@pytest.mark.parametrize(("title", "text"), IRRELEVANT)
def test_ai_as_a_tool_or_non_ai_law_is_not(analyser: Analyser, title: str, text: str) -> None:
    relevance = analyser.analyse(title, text).relevance
    assert not relevance.is_relevant, relevance


def test_prefilter_drops_text_without_any_technology_word(analyser: Analyser) -> None:
    assert not analyser.might_be_relevant("Tariffs", "Steel tariffs hit markets on Friday.")
    assert analyser.might_be_relevant("", "The Colorado AI Act takes effect.")
