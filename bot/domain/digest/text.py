"""A digest entry's words: a clean title and a one- or two-sentence extractive summary.

Real feeds wrap the article in page furniture: "Save Article", share buttons, bylines, photo
captions and credits, "The post ... appeared first on ...", "Continue reading". The summary is
the first real sentences of the text, in the text's own words (extractive: nothing invented),
with that furniture skipped.
"""

from __future__ import annotations

import html
import re

from bot.domain.sentences import split_sentences

SUMMARY_TARGET = 280  # characters: one or two sentences
_SECOND_SENTENCE_BELOW = 160  # a first sentence shorter than this gets the next one too
_MIN_WORDS = 4

_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")
# A whole line or sentence that is page furniture, not article text.
_BOILERPLATE = re.compile(
    r"""^(?:
        save(?:\s+(?:this\s+)?(?:article|story))?
      | saved?\s+articles?
      | share(?:\s+(?:this|the))?(?:\s+(?:article|story|page|post))?(?:\s+(?:on|via)\s+[\w\s,]+)?
      | (?:share|post)\s+(?:on|to)\s+\w+
      | tweet(?:\s+this)?
      | e-?mail(?:\s+(?:this|article))?
      | print(?:\s+(?:this|article))?
      | copy\s+link
      | (?:read|see|view)\s+(?:more|the\s+full\s+(?:article|story)|also)\b.*
      | continue\s+reading\b.*
      | click\s+here\b.*
      | listen\s+to\s+(?:this\s+)?(?:article|story)\b.*
      | \d+\s+min(?:ute)?s?\s+read
      | advertisement | sponsored(?:\s+content)? | ad
      | (?:sign\s+up|subscribe|register)\b.*
      | follow\s+us\b.*
      | (?:related|more\s+on\s+this|recommended|trending)\s*:?.*
      | (?:photo|image|picture|video|caption|credit|source|illustration|file\s+photo)\s*[:|/].*
      | (?:updated|published|posted|last\s+updated)\s*:?\s*\d.*
      | \d+\s+(?:seconds?|minutes?|hours?|days?)\s+ago
      | by\s+[A-Z][\w.'\u2019-]+(?:\s+(?:[A-Z][\w.'\u2019-]+|and|&|,))*(?:\s*[,|·-]\s*.*)?
      | (?:©|\(c\)|copyright)\b.*
      | all\s+rights\s+reserved\.?
      | the\s+post\s+.+\s+appeared\s+first\s+on\s+.+
    )[.!:]?$""",
    re.IGNORECASE | re.VERBOSE,
)
# Photo credits and captions inside a sentence: "(Photo by X/Getty Images)", "REUTERS/Name".
_CREDIT = re.compile(
    r"""\(\s*(?:photo|image|picture|credit|file\s+photo)\b[^)]*\)
      | \b[A-Z][\w.'\u2019-]*(?:\s+[A-Z][\w.'\u2019-]*)*\s*/\s*
        (?:getty\s+images|reuters|afp|ap|bloomberg|epa)\b
      | \b(?:getty\s+images|reuters\s+/|afp\s+via\s+getty\s+images)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# A wire dateline opening the first sentence: "BRUSSELS, Nov 25 (Reuters) - ".
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'\u2019-]{2,40}(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?"
    r"\s*(?:\([\w ]+\))?\s*[-\u2013\u2014]\s+"
)
# A headline's "| Outlet" or " - Outlet" tail, when it names the source.
_TITLE_TAIL = re.compile(r"\s+[|\u2013\u2014-]\s+([^|\u2013\u2014-]{2,60})$")


def clean_title(title: str, source: str = "") -> str:
    """One line, entities decoded, without a trailing "| Source" or " - Source" that only
    repeats the outlet's name."""
    text = _SPACE.sub(" ", html.unescape(title or "")).strip()
    tail = _TITLE_TAIL.search(text)
    if tail and source and _names_match(tail.group(1), source):
        text = text[: tail.start()].rstrip()
    return text


def extract_summary(text: str, *, title: str = "", limit: int = SUMMARY_TARGET) -> str:
    """The first one or two real sentences of ``text``, at most ``limit`` characters.

    Skips furniture and anything that only repeats the title; a first sentence longer than
    ``limit`` is cut at a word boundary with an ellipsis.
    """
    chosen: list[str] = []
    folded_title = _folded(title)
    for sentence in split_sentences(html.unescape(text or "")):
        words = _clean_sentence(sentence.text, first=not chosen)
        if not words or _BOILERPLATE.match(words) or len(words.split()) < _MIN_WORDS:
            continue
        if folded_title and _folded(words) in {folded_title, folded_title + "."}:
            continue
        if not chosen:
            chosen.append(words)
            if len(words) >= _SECOND_SENTENCE_BELOW:
                break
            continue
        if len(chosen[0]) + 1 + len(words) <= limit:
            chosen.append(words)
        break
    summary = " ".join(chosen)
    if len(summary) <= limit:
        return summary
    cut = summary[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"


def _clean_sentence(text: str, *, first: bool) -> str:
    words = _SPACE.sub(" ", _CREDIT.sub(" ", text)).strip()
    words = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", words)
    if first:
        words = _DATELINE.sub("", words)
    return words.strip(" |·")


def _folded(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.casefold()).strip()


def _names_match(tail: str, source: str) -> bool:
    """Whether a headline's tail names the outlet: "Reuters" and "Reuters \u2014 World news"."""
    a, b = _folded(tail), _folded(source)
    return bool(a) and bool(b) and (a in b or b in a)
