"""Act, bill and order names the catalog lacks, found in text written for these tests."""

from __future__ import annotations

import pytest

from bot.domain.catalog import Catalog
from bot.domain.unknown_laws import ItemText, UnknownLawFinder, tally


@pytest.fixture(scope="module")
def finder(catalog: Catalog) -> UnknownLawFinder:
    return UnknownLawFinder(catalog)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "Senators revived the Kids Online Safety Act; California passed SB 243 and AB-1018.",
            ["Kids Online Safety Act", "SB 243", "AB 1018"],
        ),
        ("The House passed H.R. 4567 and Senate Bill 24-205.", ["H.R. 4567", "Senate Bill 24-205"]),
        (
            "The president signed Executive Order 14179 and revoked the Executive Order on Safe, "
            "Secure, and Trustworthy AI.",
            ["Executive Order 14179", "Executive Order on Safe, Secure, and Trustworthy AI"],
        ),
        # an owner's possessive is dropped: both spellings are one name
        (
            "Under Texas' Responsible AI Governance Act, firms disclose.",
            ["Texas Responsible AI Governance Act"],
        ),
        # known laws, with or without their owner, are not unknown
        ("New York's RAISE Act and the EU AI Act passed. So did California's SB-53.", []),
        ("Illinois Biometric Information Privacy Act suits settled.", []),
        # not names of laws
        ("While the Act is new, Microsoft CEO Bill Gates spoke about AI.", []),
        ("Colorado Enacts Sweeping Artificial Intelligence Regulation Bill", []),  # a headline
    ],
)
def test_names_the_catalog_lacks(finder: UnknownLawFinder, text: str, names: list[str]) -> None:
    assert [m.name for m in finder.find(text)] == names


def test_mentions_keep_their_offsets(finder: UnknownLawFinder) -> None:
    text = "Lawmakers debated the Kids Online Safety Act on AI chatbots."
    (mention,) = finder.find(text)
    assert text[mention.start : mention.end] == "Kids Online Safety Act"


def test_tally_counts_items_and_keeps_a_sample_and_a_link(finder: UnknownLawFinder) -> None:
    items = [
        ItemText(
            "AI bills", "California passed SB 243 on AI companions. SB 243 is new.", "https://a"
        ),
        ItemText(
            "More", "Critics of SB 243 spoke. The Kids Online Safety Act stalled.", "https://b"
        ),
        ItemText("Known", "The AI Act applies.", "https://c"),
    ]
    (first, second) = tally(items, finder)
    assert (first.name, first.items, first.url) == ("SB 243", 2, "https://a")
    assert first.sample == "California passed SB 243 on AI companions."
    assert (second.name, second.items) == ("Kids Online Safety Act", 1)
    assert tally(items, finder, limit=1) == (first,)
