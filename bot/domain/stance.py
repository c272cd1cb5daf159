"""Sentence-level stance claims: which company takes which position on which law, and where.

The rules follow how policy analysts read a sentence (see the README, "How policybot reads the
news"), without a parser:

- **Cue and target.** A target (a law, or an anaphor such as "the Act", "New York's bill",
  "it" after a verb) takes the polarity of the nearest cue before it in the same clause
  ("urged ... to delay the AI Act": "delay" is nearer than "urged", so goal verbs pass their
  complement's polarity through), or of a predicate after it ("the draft ... would be
  over-regulating", "the law is unconstitutional").
- **Composition and negation.** "refused to sign", "won't sign" oppose; "does not oppose" is
  not support (no claim); a target described as "lighter"/"lenient" regulation turns support
  for it into opposition to regulation.
- **Holder.** A company named before the cue (the subject side), the company of a named
  executive or spokesperson, or the speaker of a quote ("..., said a Meta spokesperson").
  Companies named between the cue and its target are its object ("Noyb criticised Meta's
  plan") and never hold the stance. Pronouns ("the company", "he", "we") resolve to the
  most recent holder nearby; an unquoted "we" is the company in the headline (its own blog).
- **Attribution.** Stated (own words or spokesperson), reported, or alleged ("critics
  charged", "accused") with lower confidence.
- **Contrast.** Support and opposition joined by "but"/"however" make a mixed claim; a cue
  inside an opening concessive clause ("While we believe ..., ...") is background only.
- **Target linking.** A generic "European regulatory environment" is ``eu-regulation`` and
  never promoted to a specific law that the sentence does not name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.catalog import Catalog
from bot.domain.mentions import Mention
from bot.domain.model import Attribution, EntityKind, StanceLabel
from bot.domain.sentences import Sentence

CLAUSE_REACH = 110  # characters between a cue and its target
HOLDER_SENTENCES = 2  # how far back a pronoun looks for its company
EU_CONTEXT = 80  # characters before a generic "regulators" that can make them European


@dataclass(frozen=True, slots=True)
class StanceClaim:
    company_id: str
    target_id: str
    stance: StanceLabel
    evidence: str
    sentence_index: int
    confidence: float
    attribution: Attribution
    cue: str


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int
    end: int
    text: str
    polarity: int  # +1 support, -1 oppose
    before_target: bool  # True: "backs X"; False: "X is flawed"


@dataclass(frozen=True, slots=True)
class _Target:
    start: int
    end: int
    target_id: str
    generic: bool


def _cues(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?i)\b(?:{pattern})")


# Verbs and nouns whose object is the target.
_BACK = "".join(
    rf"(?<!{word} )"
    for word in [
        "pulled",
        "rolled",
        "scaled",
        "step",
        "steps",
        "stepped",
        "cut",
        "held",
        "hold",
        "come",
        "came",
        "get",
        "got",
        "go",
        "went",
        "fight",
        "fights",
        "fought",
        "push",
        "pushed",
        "pushing",
        "strike",
        "strikes",
        "struck",
    ]
)
_SUPPORT_BEFORE = _cues(
    rf"{_BACK}back(?:s|ed|ing)?\b(?! down| off| away)|endors\w*|supports\b|supported\b(?! by)"
    r"|supporting\b|(?:to|will|would|did|does|do) support\b"
    r"|support(?= (?:the|a|an|this|that|these|those|its|their|our|new|[A-Z]))"
    r"|welcom\w*|champion\w*|defend\w*"
    r"|(?:['\u2019]s|its|their|our|his|her|expressed|voiced|announced|declared|reiterated|signall?ed)"
    r"\s+(?:\w+\s+){0,2}?support (?:for|of)"
    r"|applaud\w*|prais\w*|advocat\w*|argu\w* for|call(?:s|ed|ing)? for|push\w* for"
    r"|(?:the )?need (?:for|to)\b|urg(?:e|es|ed|ing)\b|commit\w* to|favou?r(?:s|ed|ing)?\b"
    r"|in favou?r of|embrac\w*|sign(?:s|ed|ing)?\b|heralded|(?:should|must|has to|have to) be\b"
    r"|(?:should|must) (?:adopt|pass|enact)"
)
_OPPOSE_BEFORE = _cues(
    r"oppos(?:e|es|ed|ing)\b|(?:['\u2019]s|its|their|our|his|her|expressed|voiced)\s+opposition to"
    r"|criti(?:cis|ciz)\w*|attack\w*|slam\w*|reject\w*"
    r"|decr(?:y|ies|ied)\b|denounc\w*|condemn\w*|lambast\w*|challeng\w*|su(?:e|es|ed|ing)\b"
    r"|(?:law)?suit against|filed (?:a )?(?:law)?suit|fight\w*|fought"
    r"|(?:lobb\w*|campaign\w*|efforts?|argu\w*|charg\w*|spoke|speak\w*|mobili[sz]\w*"
    r"|warn\w*|rail\w*|push\w*|pushback) against|water(?:s|ed|ing)? down|weaken\w*|loosen\w*"
    r"|dilut\w*|delay(?:s|ed|ing)?\b|scrap\w*|repeal\w*|roll(?:s|ed|ing)? back|strike down"
    r"|overturn\w*|gut(?:s|ted|ting)?\b|targeted|(?:refus|declin)\w* to (?:sign|join|back"
    r"|support|endorse|comply)|relief from|protected from|preempt\w*|disappoint\w*|blam\w*"
    r"|eas(?:e|es|ed|ing)\b"
    r"|(?:is|was|are|were|be|been|remains?|grew|became|get|got) (?:\w+ )?(?:concerned|worried)"
    r" (?:about|over|that|with|by)"
    r"|(?:['\u2019]s|its|their|our|his|her|expressed|raised|voiced|cited|citing)"
    r" (?:\w+ )?concerns? (?:about|over|that|with|regarding)?"
)
# Predicates that judge a target named before them.
_SUPPORT_AFTER = _cues(
    r"strikes? a (?:good |right |careful )?balance|(?:a )?(?:solid|right|good|important) "
    r"(?:path|step|approach)"
)
_OPPOSE_AFTER = _cues(
    r"(?:would|will|could) be over-?regulat\w*|over-?regulat\w*|(?:fundamentally )?flawed"
    r"|(?:was |is |a )?failure|unlawful|unconstitutional|violates? (?:its |the )?(?:free speech"
    r"|first amendment|constitution)|(?:a )?step backwards?|could kill|would kill|stifle\w*"
    r"|throttle\w*|hamper\w*|hinder\w*|unpredictable|(?:overly )?burdensome|overreach\w*"
    r"|wrong path|fragmented|risk-averse|vague and unintelligible|blanket censorship"
    r"|to be (?:watered down|weakened|amended|delayed|scrapped|loosened|paused)|slow innovation"
)
_NEGATION = re.compile(
    r"(?i)\b(?:not|never|no longer|neither|nor|without)\s+(?:\w+\s+){0,2}$"
    r"|n['\u2019]t\s+(?:\w+\s+){0,1}$"
)
# Events, not attitudes: "won't sign" is refusal; "does not support" is only not-support.
_EVENT_VERB = re.compile(r"(?i)^(?:sign|join|comply)")
_PASSIVE = re.compile(r"(?i)\b(?:is|are|was|were|been|being|be)\s+$")
_NEUTRAL = re.compile(
    r"(?i)\b(?:compl(?:y|ies|ied|ying) with|to comply|in compliance with|complian(?:t|ce)"
    r"|(?:inquiry|investigation|probe|case) (?:into|against)|investigat(?:e|es|ed|ing)\b"
    r"|prob(?:e|es|ed|ing)\b|settl(?:e|es|ed|ement)\b|fined\b|subject to)"
)
_BY_AGENT = re.compile(r"(?i)^\s*by\b")
_PARTICIPLE = re.compile(r"(?i)^\w+(?:ed|en|ght)\b")  # "was sued", "is being fought"
_STATE_CUE = re.compile(r"(?i)^(?:protected|concerned|worried|disappointed|committed|opposed)")
_WEAKENED = re.compile(r"(?i)\b(?:lighter|lenient|light-touch|less|looser|fewer)\b")
_CONTRAST = re.compile(r"(?i)\b(?:but|however|yet|at the same time)\b")
_CONCESSIVE = re.compile(r"(?i)^[\"\u201c\u2018']?(?:while|although|though|even though)\b[^,]*,")
_SPEECH = re.compile(
    r"(?i)\b(?:said|says|told|tells|added|adds|wrote|writes|stated|states|argued|argues"
    r"|warned|explained|insisted|asserted|according to|statement|spokes(?:person|man|woman))\b"
)
_MODIFIER = re.compile(r"-(?:backed|owned|funded|led|based|made)\b")
_SELF_SPEECH = re.compile(
    r"(?i)\b(?:the company|the firm|a spokes(?:person|man|woman)|the spokes(?:person|man|woman))"
    r" (?:said|says|told|added|wrote|stated)|\b(?:said|says|told) (?:the company|the firm"
    r"|a spokes(?:person|man|woman))\b"
)
_QUOTE = re.compile(r"[\"\u201c\u201d]")
_ALLEGED = re.compile(r"(?i)\b(?:alleg\w*|accus\w*|critics|charged that|claimed that)\b")
_REPORTED = re.compile(r"(?i)\b(?:reportedly|according to (?!\w+['\u2019]s)|sources)\b")
_ANAPHOR = re.compile(
    r"(?:\b(?:the|this|that|its|their)\s+|\b[A-Z][\w.]*(?:\s+[A-Z]\w*)?['\u2019]s\s+)"
    r"(?:(?:[\w-]+\s+){0,2}?)(?:Act\b|[Ll]aw\b|[Bb]ill\b|[Ll]egislation\b|[Ss]tatute\b"
    r"|[Cc]ode\b|[Rr]ules\b|[Rr]egulation\b|[Rr]equest\b|[Oo]rder\b|[Rr]uling\b|[Cc]all\b"
    r"|[Pp]roposal\b|[Mm]ove\b)"
)
_ONE_INSTRUMENT = re.compile(r"(?i)\b(?:legislation|law|bill)$")
_CAUSE = re.compile(
    r"(?i)\b(?:due to|because|amid|after|following|despite|although|whereas|while|until)\b"
)
_COORDINATED = re.compile(r"(?i)\s*(?:,\s*)?(?:and|or|as well as)?\s*(?:the\s+)?")
_IT_AFTER_CUE = re.compile(r"^\s+(?:it|them)\b")
_GENERIC_REGULATION = re.compile(
    r"(?i)\b(?:(?:[\w-]+\s+){0,2}regulations?|regulators|regulatory (?:environment|regime"
    r"|framework|burden|process|uncertainty)|red tape|(?:\w+\s+)?rules)\b"
)
_EUROPE = re.compile(r"\b(?:EU|E\.U\.|Europe|European|Brussels|the bloc)\b")
_US_FEDERAL = re.compile(r"(?i)\bfederal\b")
_PRONOUN_HOLDER = re.compile(
    r"(?i)\b(?:the company|the firm|the startup|the start-up|the group|it|its|they|their|both|he"
    r"|she|his|her"
    r"|we|our|us)\b"
)
_FIRST_PERSON_ANYWHERE = re.compile(r"(?i)\b(?:we|our|us)\b")
_PLURAL = re.compile(r"(?i)^(?:they|their|both)$")
_FIRST_PERSON = re.compile(r"(?i)^(?:we|our|us)$")


class StanceExtractor:
    def __init__(self, catalog: Catalog) -> None:
        self._laws = {law.id: law for law in catalog.laws}

    def extract(
        self,
        sentences: Sequence[Sentence],
        mentions: Sequence[Mention],
        *,
        headline_company: str | None = None,
    ) -> tuple[StanceClaim, ...]:
        by_sentence: list[list[Mention]] = [[] for _ in sentences]
        for mention in mentions:
            for sentence in sentences:
                if sentence.start <= mention.start < sentence.end:
                    by_sentence[sentence.index].append(mention)
                    break
        specific_counts: dict[str, int] = {}
        for mention in mentions:
            law = self._laws.get(mention.entity_id)
            if mention.kind is EntityKind.LAW and law is not None and not law.generic:
                specific_counts[mention.entity_id] = specific_counts.get(mention.entity_id, 0) + 1
        dominant = max(specific_counts, key=lambda k: specific_counts[k], default=None)

        claims: list[StanceClaim] = []
        recent_companies: list[tuple[int, str]] = []  # (sentence index, company id)
        recent_targets: list[tuple[int, str]] = []
        for sentence in sentences:
            here = by_sentence[sentence.index]
            claims.extend(
                self._sentence_claims(
                    sentence, here, recent_companies, recent_targets, dominant, headline_company
                )
            )
            for mention in here:
                if mention.kind is EntityKind.COMPANY:
                    recent_companies.append((sentence.index, mention.entity_id))
                else:
                    law = self._laws.get(mention.entity_id)
                    if law is not None and not law.generic:
                        recent_targets.append((sentence.index, mention.entity_id))
        return tuple(claims)

    def _sentence_claims(
        self,
        sentence: Sentence,
        mentions: list[Mention],
        recent_companies: list[tuple[int, str]],
        recent_targets: list[tuple[int, str]],
        dominant: str | None,
        headline_company: str | None,
    ) -> list[StanceClaim]:
        text = sentence.text
        offset = sentence.start
        cues = _find_cues(text)
        companies = [m for m in mentions if m.kind is EntityKind.COMPANY]
        targets = self._targets(text, offset, mentions, cues, recent_targets, dominant)
        if not targets or (not companies and not cues):
            return []
        background = _CONCESSIVE.match(text)
        background_end = background.end() if background else 0
        speakers = _speakers(text, offset, companies)
        found: dict[tuple[str, str], tuple[int, _Cue, Attribution, float]] = {}
        for target in targets:
            cue = _governing_cue(text, target, cues, targets)
            if cue is None or cue.start < background_end:
                continue
            polarity = cue.polarity
            before = text[: cue.start]
            if _NEGATION.search(before):
                if not _EVENT_VERB.match(cue.text):
                    continue  # "does not oppose" is not support
                polarity = -polarity
            if cue.before_target and (
                _BY_AGENT.match(text[cue.end : cue.end + 8])
                or (
                    _PASSIVE.search(before)
                    and _PARTICIPLE.match(cue.text)
                    and not _STATE_CUE.match(cue.text)
                )
            ):
                continue  # "was sued under X", "targeted by X": the subject holds no stance
            weakened = _WEAKENED.search(text[cue.end : target.end])
            if weakened and cue.before_target and polarity > 0:
                polarity = -polarity  # "favouring lighter regulation" opposes regulation
            target_id = target.target_id
            law = self._laws.get(target_id)
            if law is not None and law.opposing_supports:
                target_id = law.opposing_supports
                polarity = -polarity
            holders = _holders(text, offset, companies, speakers, cue, target)
            attribution = Attribution.STATED if speakers else Attribution.REPORTED
            if not holders:
                holders = _pronoun_holder(
                    text, cue, sentence.index, recent_companies, headline_company
                )
                if not holders:
                    continue
                if _FIRST_PERSON_ANYWHERE.search(text[: cue.start]):
                    attribution = Attribution.STATED
            if _SELF_SPEECH.search(text) and attribution is Attribution.REPORTED:
                attribution = Attribution.STATED
            if _ALLEGED.search(text):
                attribution = Attribution.ALLEGED
            elif _REPORTED.search(text):
                attribution = Attribution.REPORTED
            confidence = 0.85 if not target.generic else 0.7
            confidence *= {Attribution.STATED: 1.0, Attribution.REPORTED: 0.9}.get(attribution, 0.5)
            for company_id in holders:
                key = (company_id, target_id)
                previous = found.get(key)
                if previous is not None and previous[0] != polarity:
                    polarity_to_store = 0  # both ways in one sentence
                else:
                    polarity_to_store = polarity
                found[key] = (polarity_to_store, cue, attribution, round(confidence, 3))
        specific_holders = {
            company_id
            for company_id, target_id in found
            if (law := self._laws.get(target_id)) is not None and not law.generic
        }
        claims = []
        for (company_id, target_id), (polarity, cue, attribution, confidence) in found.items():
            law = self._laws.get(target_id)
            if law is not None and law.generic and company_id in specific_holders:
                continue  # the general target only when stated separately
            stance = _label(polarity)
            if stance is not StanceLabel.MIXED and _contrasted(text, cue, cues, polarity):
                stance = StanceLabel.MIXED
            claims.append(
                StanceClaim(
                    company_id=company_id,
                    target_id=target_id,
                    stance=stance,
                    evidence=text,
                    sentence_index=sentence.index,
                    confidence=confidence,
                    attribution=attribution,
                    cue=cue.text,
                )
            )
        return claims + self._neutral_claims(sentence, offset, companies, targets, found)

    def _neutral_claims(
        self,
        sentence: Sentence,
        offset: int,
        companies: list[Mention],
        targets: list[_Target],
        found: dict[tuple[str, str], tuple[int, _Cue, Attribution, float]],
    ) -> list[StanceClaim]:
        """Complying, being investigated or settling links a company to a law without a stance."""
        cue = _NEUTRAL.search(sentence.text)
        if cue is None:
            return []
        holders = {
            m.entity_id for m in companies if not _MODIFIER.match(sentence.text[m.end - offset :])
        }
        laws = {t.target_id for t in targets if not t.generic}
        return [
            StanceClaim(
                company_id=company_id,
                target_id=target_id,
                stance=StanceLabel.NEUTRAL,
                evidence=sentence.text,
                sentence_index=sentence.index,
                confidence=0.5,
                attribution=Attribution.REPORTED,
                cue=cue.group(),
            )
            for company_id in sorted(holders)
            for target_id in sorted(laws)
            if (company_id, target_id) not in found
        ]

    def _targets(
        self,
        text: str,
        offset: int,
        mentions: list[Mention],
        cues: list[_Cue],
        recent_targets: list[tuple[int, str]],
        dominant: str | None,
    ) -> list[_Target]:
        targets: list[_Target] = []
        for mention in mentions:
            law = self._laws.get(mention.entity_id)
            if mention.kind is EntityKind.LAW and law is not None:
                target = _Target(mention.start - offset, mention.end - offset, law.id, law.generic)
                if law.generic and _ONE_INSTRUMENT.search(mention.surface):
                    # "landmark AI legislation in California" is one bill: the one in the story
                    before = [t.target_id for t in targets if not t.generic]
                    referent = _referent(before, recent_targets, dominant)
                    if referent is not None:
                        target = _Target(target.start, target.end, referent, False)
                targets.append(target)
        taken = [(t.start, t.end) for t in targets]

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        def specific_before(position: int) -> list[str]:
            return [t.target_id for t in targets if not t.generic and t.end <= position]

        for match in _ANAPHOR.finditer(text):
            if not free(match.start(), match.end()):
                continue
            referent = _referent(specific_before(match.start()), recent_targets, dominant)
            if referent is not None:
                targets.append(_Target(match.start(), match.end(), referent, False))
        for cue in cues:
            it = _IT_AFTER_CUE.match(text[cue.end :])
            if cue.before_target and it:
                referent = _referent(specific_before(cue.start), recent_targets, dominant)
                if referent is not None:
                    start = cue.end + it.start()
                    targets.append(_Target(start, cue.end + it.end(), referent, False))
        if not any(not t.generic for t in targets):
            for match in _GENERIC_REGULATION.finditer(text):
                start = max(
                    [match.start()] + [c.end for c in cues if c.start <= match.start() < c.end]
                )
                start += len(text[start : match.end()]) - len(text[start : match.end()].lstrip())
                if start >= match.end() or not free(start, match.end()):
                    continue
                if _US_FEDERAL.search(match.group()):
                    continue
                context = text[max(0, match.start() - EU_CONTEXT) : match.end()]
                target_id = "eu-regulation" if _EUROPE.search(context) else "ai-regulation"
                if target_id in self._laws:
                    targets.append(_Target(start, match.end(), target_id, True))
        return sorted(targets, key=lambda t: t.start)


def _find_cues(text: str) -> list[_Cue]:
    cues: list[_Cue] = []
    for pattern, polarity, before in (
        (_SUPPORT_BEFORE, 1, True),
        (_OPPOSE_BEFORE, -1, True),
        (_SUPPORT_AFTER, 1, False),
        (_OPPOSE_AFTER, -1, False),
    ):
        for match in pattern.finditer(text):
            cues.append(_Cue(match.start(), match.end(), match.group(), polarity, before))
    return sorted(cues, key=lambda c: c.start)


def _governing_cue(
    text: str, target: _Target, cues: list[_Cue], targets: list[_Target]
) -> _Cue | None:
    """The nearest cue before the target, or a predicate right after it, within one clause.

    A verb governs its first object only: in "advocates for open-source ML within the AI Act"
    the AI Act is not what is advocated, unless it is coordinated ("criticised X and Y").
    """
    best: tuple[int, _Cue] | None = None
    for cue in cues:
        if cue.before_target and cue.end <= target.start:
            gap = text[cue.end : target.start]
            distance = len(gap)
            between = [t for t in targets if cue.end <= t.start and t.end <= target.start]
            if between and not _COORDINATED.fullmatch(text[between[-1].end : target.start]):
                continue
            if _CAUSE.search(gap):
                continue  # "delayed due to concerns over X": X is a cause, not the object
        elif not cue.before_target and cue.start >= target.end:
            gap = text[target.end : cue.start]
            distance = len(gap) + 5  # a verb before its object wins a tie
        elif not cue.before_target and cue.end <= target.start:
            gap = text[cue.end : target.start]
            distance = len(gap) + 40  # "a step backwards for ... X": weaker
        else:
            continue
        if distance > CLAUSE_REACH or ";" in gap:
            continue
        if best is None or distance < best[0]:
            best = (distance, cue)
    return best[1] if best else None


def _speakers(text: str, offset: int, companies: list[Mention]) -> list[str]:
    """Companies (or their people) who say the sentence: "X said", "said a X spokesperson"."""
    speakers = []
    for mention in companies:
        start, end = mention.start - offset, mention.end - offset
        after = text[end : end + 40]
        before = text[max(0, start - 30) : start]
        if _SPEECH.search(after[:25]) or re.search(
            r"(?i)\b(?:said|says|told|according to|wrote|writes)\s+(?:\w+\s+){0,3}$", before
        ):
            speakers.append(mention.entity_id)
    return speakers


def _holders(
    text: str,
    offset: int,
    companies: list[Mention],
    speakers: list[str],
    cue: _Cue,
    target: _Target,
) -> list[str]:
    """Companies on the subject side of the cue, or the speaker of a quote."""
    subject_end = min(cue.start, target.start)
    holders = [
        m.entity_id
        for m in companies
        if m.end - offset <= subject_end and not _MODIFIER.match(text[m.end - offset :])
    ]
    # A speaker after a quote holds the quoted stance even when named last.
    quoted = bool(_QUOTE.search(text)) or bool(speakers)
    if speakers and (quoted or not holders):
        holders = [*speakers, *(h for h in holders if h in speakers)]
    return list(dict.fromkeys(holders))


def _pronoun_holder(
    text: str,
    cue: _Cue,
    index: int,
    recent_companies: list[tuple[int, str]],
    headline_company: str | None,
) -> list[str]:
    """The companies a pronoun before the cue stands for: "they" is everyone named last."""
    for match in _PRONOUN_HOLDER.finditer(text[: cue.start]):
        word = match.group()
        in_quote = bool(_QUOTE.search(text[: match.start()]))
        if _FIRST_PERSON.match(word) and not in_quote and headline_company:
            return [headline_company]
        if not recent_companies or index - recent_companies[-1][0] > HOLDER_SENTENCES:
            return []
        last_index, last_company = recent_companies[-1]
        if _PLURAL.match(word):
            named = [c for i, c in recent_companies if i == last_index]
            return list(dict.fromkeys(named))
        return [last_company]
    return []


def _referent(
    here: list[str], recent_targets: list[tuple[int, str]], dominant: str | None
) -> str | None:
    if here:
        return here[-1]
    if recent_targets:
        return recent_targets[-1][1]
    return dominant


def _contrasted(text: str, cue: _Cue, cues: list[_Cue], polarity: int) -> bool:
    """Support and opposition joined by "but"/"however" in one sentence: mixed."""
    for contrast in _CONTRAST.finditer(text):
        first, second = text[: contrast.start()], text[contrast.end() :]
        if cue.end <= contrast.start():
            later = [c for c in cues if c.start >= contrast.end() and c.polarity == -polarity]
            if later and first and second and later[0].before_target:
                return True
    return False


def _label(polarity: int) -> StanceLabel:
    if polarity > 0:
        return StanceLabel.SUPPORT
    if polarity < 0:
        return StanceLabel.OPPOSE
    return StanceLabel.MIXED
