"""Laws the news names that the catalog does not know yet.

New bills appear every week. A relevant item that names "the Kids Online Safety Act", "SB 1018",
"H.R. 4567" or "the Executive Order on ..." that no catalog entry matches is a hint for the
admin: ``policybot catalog unknown`` lists the most mentioned ones with a sample sentence and a
link, so that they can be added to the catalog file (``POLICYBOT_CATALOG_FILE``) and the archive
re-analysed. Nothing is mapped to an existing law here: only the catalog file says which family a
new law belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.catalog import Catalog
from bot.domain.mentions import Mention, MentionFinder
from bot.domain.model import EntityKind
from bot.domain.sentences import split_sentences

# "the Kids Online Safety Act", "the Artificial Intelligence and Data Act", "the Online Safety
# Bill": capitalised words (with the small words of titles) ending in Act or Bill, which a
# capitalised word does not follow ("Bill Gates").
_TITLED = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019&-]*\s+)(?:(?:[A-Z][\w'\u2019&-]*|of|and|for|on|the|to|in"
    r"|from|against|&)\s+){0,9}?(?:Act|Bill))\b(?!\s+[A-Z])"
)
# "SB 1047", "S.B. 53", "AB-2655", "HB 149", "H.R. 4567", "Senate Bill 24-205", "Executive
# Order 14110"
_NUMBERED = re.compile(
    r"\b(?P<name>(?:SB|AB|HB|SF|HF|LD|S\.B\.|A\.B\.|H\.B\.)\s?-?\d{1,5}|H\.\s?R\.\s?\d{1,5}"
    r"|(?:Senate|Assembly|House) Bill (?:No\. )?\d{1,5}(?:-\d{1,5})?"
    r"|Executive Order(?: No\.)? \d{5})\b"
)
# "the Executive Order on Safe, Secure, and Trustworthy Development and Use of AI"
_ORDER_ON = re.compile(
    r"\b(?P<name>Executive Order on (?:[A-Z][\w'\u2019-]*,?\s*(?:and\s+|of\s+)?){1,12})"
)
# Words a name does not begin with: articles, prepositions, sentence openers, days, months.
_NOT_FIRST = frozenset(
    [
        "the",
        "this",
        "that",
        "these",
        "a",
        "an",
        "its",
        "their",
        "our",
        "his",
        "her",
        "new",
        "under",
        "in",
        "by",
        "with",
        "from",
        "of",
        "while",
        "although",
        "after",
        "before",
        "when",
        "since",
        "ahead",
        "as",
        "at",
        "if",
        "last",
        "next",
        "why",
        "how",
        "what",
        "whether",
        "once",
        "unlike",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
# "New York's RAISE Act" is the RAISE Act; "the Kids Online Safety Act" is not the Online
# Safety Act: only an owner (a possessive, a jurisdiction) may stand before a known name.
_OWNER = re.compile(
    r"(?:[\w.]+(?:\s+[\w.]+)*['\u2019]s?\s+|(?:EU|E\.U\.|European|US|U\.S\.|UK|Federal|"
    r"Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia"
    r"|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland"
    r"|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada"
    r"|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma"
    r"|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah"
    r"|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming)\s+)+"
)
_TOO_GENERIC = frozenset({"act", "bill", "senate bill", "house bill", "assembly bill"})
# A headline in title case ("Colorado Enacts AI Regulations Bill") capitalises every word.
_TITLE_CASE_SHARE = 0.7
HEADLINE_REST = 0.2  # a "name" that leaves less of its line than this is a headline


@dataclass(frozen=True, slots=True)
class UnknownLawMention:
    name: str  # normalised: "SB 1018", "Kids Online Safety Act"
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class UnknownLaw:
    """One name no catalog entry matches, with how many items named it and where."""

    name: str
    items: int
    sample: str  # the sentence of its first mention
    url: str | None
    title: str


@dataclass(frozen=True, slots=True)
class ItemText:
    """What the tally reads of a stored item."""

    title: str
    text: str
    url: str | None


class UnknownLawFinder:
    """Compiled once per catalog, like ``MentionFinder``, whose known names it subtracts."""

    def __init__(self, catalog: Catalog) -> None:
        self._mentions = MentionFinder(catalog)
        self._known = {_folded(name) for law in catalog.laws for name in (law.name, *law.aliases)}

    def find(self, text: str) -> tuple[UnknownLawMention, ...]:
        known = [m for m in self._mentions.find(text) if m.kind is EntityKind.LAW]
        found: list[UnknownLawMention] = []
        for pattern in (_NUMBERED, _ORDER_ON, _TITLED):
            for match in pattern.finditer(text):
                start, end = match.span("name")
                words = match.group("name").split()
                while words and words[0].lower().strip("'\u2019") in _NOT_FIRST:
                    start = text.index(words[0], start) + len(words[0])
                    words = words[1:]
                start = end - len(" ".join(words)) if words else end
                name = _normalised(" ".join(words))
                if len(words) < 2 and pattern is _TITLED:
                    continue
                if _folded(name) in self._known or _folded(name) in _TOO_GENERIC:
                    continue
                if pattern is _TITLED and _in_title_case(text, start, end):
                    continue
                if any(_same_law(text, start, end, m) for m in known):
                    continue  # the catalog's own name for it, maybe with its owner before
                if any(f.start < end and start < f.end for f in found):
                    continue
                found.append(UnknownLawMention(name, start, end))
        return tuple(sorted(found, key=lambda m: m.start))


def tally(
    items: Iterable[ItemText], finder: UnknownLawFinder, *, limit: int = 20
) -> tuple[UnknownLaw, ...]:
    """The most mentioned unknown names, by the number of items naming them, then by name."""
    counts: dict[str, int] = {}
    first: dict[str, UnknownLaw] = {}
    for item in items:
        names: dict[str, tuple[str, UnknownLawMention]] = {}
        for part in (item.title, item.text):
            for mention in finder.find(part):
                names.setdefault(mention.name, (part, mention))
        for name, (part, mention) in names.items():
            counts[name] = counts.get(name, 0) + 1
            if name not in first:
                first[name] = UnknownLaw(name, 0, _sentence(part, mention), item.url, item.title)
    ranked = sorted(counts, key=lambda n: (-counts[n], n))[:limit]
    return tuple(
        UnknownLaw(n, counts[n], first[n].sample, first[n].url, first[n].title) for n in ranked
    )


def _same_law(text: str, start: int, end: int, known: Mention) -> bool:
    """A known name covers the span, or ends it after an owner: "New York's RAISE Act" is the
    RAISE Act, "the Kids Online Safety Act" is not the Online Safety Act."""
    if known.start <= start and end <= known.end:
        return True
    if known.end != end:
        return False
    prefix = text[start : known.start]
    if not prefix.strip() or _OWNER.fullmatch(prefix):
        return True
    return not _capitalised_run(prefix)


def _capitalised_run(prefix: str) -> bool:
    """Words that extend a name ("Kids " before "Online Safety Act"), not a phrase before it."""
    return all(word[:1].isupper() for word in prefix.split())


def _in_title_case(text: str, start: int, end: int) -> bool:
    """Whether the sentence around a name is a headline with every word capitalised (the
    name's own words left out: "The Artificial Intelligence and Data Act died" is prose)."""
    for sentence in split_sentences(text):
        if sentence.start <= start < sentence.end:
            rest = text[sentence.start : start] + " " + text[end : sentence.end]
            break
    else:
        return False
    if len(rest.strip()) < HEADLINE_REST * (sentence.end - sentence.start):
        return True  # the line is the name alone: "Colorado Enacts Sweeping AI Bill"
    words = [w for w in re.findall(r"[A-Za-z][\w'\u2019-]*", rest) if len(w) > 3]
    if len(words) < 3:
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= _TITLE_CASE_SHARE * len(words)


def _sentence(text: str, mention: UnknownLawMention) -> str:
    for sentence in split_sentences(text):
        if sentence.start <= mention.start < sentence.end:
            return sentence.text
    return text[mention.start : mention.end]


def _normalised(name: str) -> str:
    name = re.sub(r"\s+", " ", name.strip().rstrip(","))
    name = re.sub(r"(\w)['\u2019]s? ", r"\1 ", name)  # "Texas' Responsible AI ..." -> "Texas ..."
    numbered = re.fullmatch(r"(SB|AB|HB|SF|HF|LD|S\.B\.|A\.B\.|H\.B\.)\s?-?(\d+)", name)
    if numbered:
        return f"{numbered.group(1).replace('.', '')} {numbered.group(2)}"
    house = re.fullmatch(r"H\.\s?R\.\s?(\d+)", name)
    if house:
        return f"H.R. {house.group(1)}"
    return name


def _folded(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
