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
]
IRRELEVANT = [
    (
        "Bank compliance gets smarter",
        "Banks use machine learning to help compliance officers and regulators spot fraud.",
    ),
    ("Chip deal", "Samsung will make AI chips for Tesla, a regulatory filing shows."),
    ("Record fine", "Meta was fined under the GDPR over data transfers to the US."),
    ("Phone launch", "The new phone has a faster camera and a bigger battery."),
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
