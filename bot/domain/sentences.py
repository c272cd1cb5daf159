"""Sentence splitting that keeps exact character offsets.

Evidence shown to users must be an exact substring of the article, so a sentence is a span of
the original text, never a cleaned-up copy. Lines are treated as sentence boundaries too:
feed excerpts put headlines, captions and list items on lines of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end in a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gov",
        "st",
        "jr",
        "sr",
        "inc",
        "corp",
        "co",
        "ltd",
        "no",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "gen",
        "lt",
        "col",
        "sgt",
        "rev",
        "est",
        "approx",
        "dept",
        "univ",
        "assn",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "e.u",
        "a.i",
    ]
)
_BOUNDARY = re.compile(
    r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9]|[\"'\u201c\u2018]?[A-Z][a-z])|\n+"
)
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)\.?[\"'\u201d\u2019)\]]*$")


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Cut ``text`` into sentences; ``text[s.start:s.end] == s.text`` for every one."""
    sentences: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if match.group().startswith((".",)) and _is_abbreviation(text[start : match.start() + 1]):
            continue
        _append(sentences, text, start, end)
        start = end
    _append(sentences, text, start, len(text))
    return tuple(sentences)


def _is_abbreviation(chunk: str) -> bool:
    found = _WORD_BEFORE.search(chunk)
    if found is None:
        return False
    word = found.group(1).lower().rstrip(".")
    if word in _ABBREVIATIONS:
        return True
    # Initials and dotted acronyms: "J.", "U.S.", "E.U."
    return bool(re.fullmatch(r"(?:[a-z]\.)*[a-z]", word))


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        sentences.append(Sentence(len(sentences), start, end, text[start:end]))
