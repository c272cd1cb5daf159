"""Stance claims: which company takes which position on which law, and where.

The rules follow how policy analysts read an article (see the README, "How policybot reads the
news"), without a parser; ``extract`` reads it in two passes:

- **The document pass.** The laws the title and the first paragraph name are the article's main
  laws; the stances taken so far (by companies, by groups such as "over 150 executives", or in
  the headline) are kept as events that a later list of names can join.
- **Cue and target.** A target (a law, or a definite description such as "the code", "the
  bill", "this pledge", "it" after a verb, resolved to the nearest law of a fitting kind) takes
  the polarity of the nearest cue before it in the same clause ("urged ... to delay the AI Act":
  "delay" is nearer than "urged", so goal verbs pass their complement's polarity through), or of
  a predicate after it ("the draft ... would be over-regulating", "called the code unworkable").
- **Composition and negation.** "refused to sign", "won't sign" oppose; "does not oppose" is
  not support (no claim); a target described as "lighter"/"lenient" regulation turns support
  for it into opposition to regulation; complying with a law is no stance.
- **Holder.** A company named before the cue (the subject side, with its list: "A, B and C"),
  the company of a named executive or spokesperson, the speaker of a quote, a group's members
  ("companies that joined include A and B"), a passive or noun agent ("backed by A",
  "opposition from A and B"). Companies named between the cue and its target are its object
  ("Noyb criticised Meta's plan") and never hold the stance. Pronouns and descriptions ("the
  company", "the tech giant", "both companies", "they") resolve to the most recent holder nearby;
  an unquoted "we" is the company in the headline (its own blog).
- **Lists that join a stance.** "Companies include A, B", "Also among the signatories is ...",
  "A and B signed on": the names take the stance of the event just before (signatories of a
  code support it).
- **Attribution.** Stated (own words or spokesperson), reported, or alleged ("critics
  charged", "accused") with lower confidence.
- **Contrast.** Support and opposition joined by "but"/"however" (or signing while warning)
  make a mixed claim; "Unlike A, B signs" and "While A pledged to sign, B said it would not" put A
  and B on opposite sides; an opening concessive clause naming no company is background only.
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
LEAD_SENTENCES = 2  # the article's first paragraph, with the title: what it is about
JOIN_SENTENCES = 3  # how far back a list of names ("Signatories include ...") looks for its stance


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
class _Event:
    """A stance taken in one sentence, which a later list of names can join ("Companies include
    A and B", "Also among the signatories is ...", "A and B signed on")."""

    sentence_index: int
    polarity: int
    target_id: str
    cue: str
    by_group: bool = False  # "seven companies agreed ...": the names come after


@dataclass(slots=True)
class _Context:
    """What the document pass knows when a sentence is read."""

    main_targets: list[str]  # named in the title and first paragraph, then the most named
    recent_targets: list[tuple[int, str]]  # (sentence index, law id) as the article goes
    events: list[_Event]  # stances taken so far, by companies or by groups


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
_DOCUMENT = r"(?! (?:an?|the|this|that|their|its) (?:[\w-]+ )?(?:letter|statement|petition|op-ed))"
_SUPPORT_BEFORE = _cues(
    r"(?:support|backing|endorsement|praise) (?:from|of)(?= )|"
    rf"{_BACK}back(?:s|ed|ing)?\b(?! down| off| away)|endors\w*|supports\b|supported\b(?! by)"
    r"|supporting\b|(?:to|will|would|did|does|do) support\b"
    r"|support(?= (?:the|a|an|this|that|these|those|its|their|our|new|[A-Z]))"
    r"|welcom\w*|champion\w*|defend\w*|hail(?:s|ed|ing)?\b|promot(?:e|es|ed|ing)\b"
    r"|(?:['\u2019]s|its|their|our|his|her|expressed|voiced|announced|declared|reiterated|signall?ed)"
    r"\s+(?:\w+\s+){0,2}?support (?:for|of)"
    r"|applaud\w*|prais\w*|advocat\w*|argu\w* for|call(?:s|ed|ing)? (?:for|on)|push\w* for"
    r"|ask(?:s|ed|ing)? for"
    r"|lobb(?:y|ies|ied|ying) for"
    r"|(?:the )?need (?:for|to)\b|urg(?:e|es|ed|ing)\b|commit\w* to|favou?r(?:s|ed|ing)?\b"
    r"|in favou?r of|embrac\w*|heralded|(?:should|must|has to|have to) be\b"
    rf"|sign(?:s|ed|ing)?\b{_DOCUMENT}"
    r"(?: (?:on|up)(?: to)?\b|onto\b)?"
    r"|(?:should|must) (?:adopt|pass|enact)|pledg(?:e|es|ed|ing) to"
    r"|agree(?:s|d|ing)? to "
    r"(?=(?:follow|adopt|sign|join|abide|implement|honou?r|the|these|a|its)\b)"
    r"|join(?:s|ed|ing)?\b|adopt(?:s|ed|ing)?\b|draft(?:s|ed|ing)?\b"
    r"|propos(?:e|es|ed|ing)\b(?= (?:\w+ )?(?:regulations?|rules|legislation|laws?|guidelines))"
)
_OPPOSE_BEFORE = _cues(
    r"(?:opposition|resistance|pushback|criticism|objections?|backlash) from(?= )"
    r"|oppos(?:e|es|ed|ing)\b|(?:['\u2019]s|its|their|our|his|her|expressed|voiced)\s+opposition to"
    r"|criti(?:cis|ciz)\w*|attack\w*|slam\w*|reject\w*"
    r"|decr(?:y|ies|ied)\b|denounc\w*|condemn\w*|lambast\w*|challeng\w*|su(?:e|es|ed|ing)\b"
    r"|(?:law)?suit against|filed (?:a )?(?:law)?suit|fight\w*|fought|appeal(?:s|ed|ing)?\b"
    r"|(?:lobb\w*|campaign\w*|efforts?|argu\w*|charg\w*|spoke|speak\w*|mobili[sz]\w*"
    r"|warn\w*|rail\w*|push\w*|pushback) against|water(?:s|ed|ing)? down|weaken\w*|loosen\w*"
    r"|dilut\w*|delay(?:s|ed|ing)?\b|scrap\w*|repeal\w*|roll(?:s|ed|ing)? back|strike down"
    r"|overturn\w*|gut(?:s|ted|ting)?\b|targeted|(?:refus|declin)\w* to (?:sign|join|back"
    r"|support|endorse|comply)|relief from|protected from|preempt\w*|disappoint\w*|blam\w*"
    r"|eas(?:e|es|ed|ing)\b|rethink\w*|reconsider\w*|(?:a )?reconsideration of|soften\w*"
    r"|loopholes?|kill(?:s|ed|ing)?\b|over[- ]?(?=regulat)"
    r"|avoid(?:s|ed|ing)? (?=(?:[\w-]+ ){0,4}?(?:over-?regulat|regulat|rules|legislat|laws?\b))"
    r"|stop the clock(?: on)?|postpon\w*|(?:a |the )?pause (?:on|of|to)\b"
    r"|paus(?:e|es|ed|ing) (?=the )"
    r"|(?:hesitant|reluctant|unwilling) to (?:support|back|endorse|sign)"
    r"|(?:refusal|reluctance|decision not|refusing|declining) to (?:sign|join|back|support|endorse)"
    r"|(?:is|was|are|were|be|been|remains?|grew|became|get|got) (?:\w+ )?(?:concerned|worried)"
    r" (?:about|over|that|with|by)"
    r"|(?:['\u2019]s|its|their|our|his|her|expressed|raised|voiced|voicing|cited|citing|has|have"
    r"|had|express(?:es|ing)|rais(?:es|ing))\s+(?:[\w\"\u201c\u2018']+\s+)?[\"\u201c\u2018']?"
    r"(?:concerns?|reservations|doubts|misgivings|objections)[\"\u201d\u2019']?"
    r"(?: (?:about|over|that|with|regarding|on))?"
)
# Predicates that judge a target named before them.
_SUPPORT_AFTER = _cues(
    r"(?:a )?(?:welcome|positive|sensible|balanced|workable) (?:step|move|approach|framework)|"
    r"strikes? a (?:good |right |careful )?balance|(?:a )?(?:solid|right|good|important) "
    r"(?:path|step|approach)"
)
_OPPOSE_AFTER = _cues(
    r"(?:would|will|could) be over-?regulat\w*|over-?regulat\w*|(?:fundamentally )?flawed"
    r"|(?:was |is |a )?failure|unlawful\b|unconstitutional|disproportionate"
    r"|violates? (?:its |the )?(?:free speech"
    r"|first amendment|constitution)|(?:a )?step backwards?|could kill|would kill|stifle\w*"
    r"|throttle\w*|hamper\w*|hinder\w*|unpredictable|(?:overly )?burdensome|overreach\w*"
    r"|wrong path|fragmented|risk-averse|vague and unintelligible|blanket censorship"
    r"|unworkable|impractical|ill-conceived|heavy-handed|onerous|misguided|premature"
    r"|too (?:restrictive|broad|vague|strict|burdensome|complex|far)"
    r"|to be (?:watered down|weakened|amended|delayed|scrapped|loosened|paused)|slow innovation"
)
_SUPPORT_AFTER_NEEDED = _cues(
    r"(?:is|are|was|were) (?:\w+ )?(?:needed|necessary|essential|required|overdue)\b"
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
_PARTIAL = re.compile(r"(?i)^\s+(?:only|just)\s+(?:part|parts|one|the\s+[\w\s-]{0,30}?chapters?)\b")
_WARNED = re.compile(
    r"(?i)^\s+(?:\w+\s+){0,3}?(?:warned|cautioned|complained|criticised|criticized|"
    r"raised concerns|expressed concerns|said it (?:has|had|still has) concerns"
    r"|(?:said )?(?:it|they)? ?(?:did not|does not|didn['\u2019]t|doesn['\u2019]t) go far enough)\b"
)
_CONTRAST = re.compile(r"(?i)\b(?:but|however|yet|at the same time)\b")
_CONCESSIVE = re.compile(
    r"(?i)^[\"\u201c\u2018']?(?:while|although|though|even though|whereas|unlike|in contrast to"
    r"|contrary to)\b[^,]*,"
)
_UNLIKE = re.compile(r"(?i)^[\"\u201c\u2018']?(?:unlike|in contrast to|contrary to)\b")
_SPEECH = re.compile(
    r"(?i)\b(?:said|says|told|tells|added|adds|wrote|writes|stated|states|argued|argues"
    r"|warned|explained|insisted|asserted|according to|statement|spokes(?:person|man|woman))\b"
)
_MODIFIER = re.compile(
    r"-(?:backed|owned|funded|led|based|made)\b"
    r"|\s+(?:partner|rival|backer|investor|owner|parent|unit|subsidiary|competitor)s?\s+[A-Z]"
)
# A group that takes a stance before its members are named: "companies that joined include ...".
_GROUP = re.compile(
    r"(?i)\b(?:companies|firms|businesses|corporations|executives|CEOs|chief executives|leaders"
    r"|signatories|giants|developers|labs|start-?ups|players|members|participants|others)\b"
)
# "companies that have joined include A and B" names members; "companies that sign, such as A,
# will ..." only gives examples of a hypothetical group.
_MEMBERS_ARE = re.compile(r"(?i)\b(?:include[sd]?|are|were|range from)\s+")
# A sentence that adds names to a stance taken just before.
_MEMBERSHIP = re.compile(
    r"(?i)\bsignator(?:y|ies)\b|\bamong (?:the|those|them|other)\b"
    r"|\b(?:companies|firms|others|participants|members|names|businesses)\b[^.;:]{0,60}?"
    r"\b(?:include[sd]?|including|range from)\b"
    r"|\bsigned (?:on|up)\b"
    r"|\bjoin(?:s|ed|ing)? (?:them|in|the (?:list|ranks|group|effort|initiative))\b"
)
_JOIN = re.compile(r"(?i)^join")
# "..., B said it would not": B takes the other side of the opening clause's stance.
_ELLIPTIC_REFUSAL = re.compile(
    r"(?i)\b(?:would not|will not|won['\u2019]t|wouldn['\u2019]t|did not|didn['\u2019]t|has not"
    r"|hasn['\u2019]t|refused|declined|is not|isn['\u2019]t)\b[^,;]{0,20}[.!\"\u201d]*$"
)
_MID_CONTRAST = re.compile(r"(?i),\s+(?:while|whereas|but)\s+")
_RELATIVE = re.compile(r",\s+(?:which|who)\b")
_SIGNING = re.compile(r"(?i)\bsignator(?:y|ies)\b|\bsigned (?:on|up)\b|\bjoin(?:s|ed|ing)?\b")
_AGENT_CUE = re.compile(r"(?i)^\s*by\s+")
_FROM_NOUN = re.compile(
    r"(?i)^(?:opposition|resistance|pushback|criticism|objections?|backlash|support|backing"
    r"|endorsement|praise)\s+(?:from|of)$"
)
# Between two names of a list: "Amazon.com Inc., Meta Platforms Inc.", ", as well as",
# other names the catalog does not know ("Anthropic, Inflection AI and Cohere").
_NAME = r"(?:[A-Z][\w.&'\u2019-]*(?:\s+(?:[A-Z][\w.&'\u2019-]*|of|de))*)"
_SUFFIX = (
    r"(?:\s*,?\s*(?:Inc|Corp|Co|Ltd|LLC|PLC|AG|SE|SA|Platforms|Technologies)\.?(?=[\s,])"
    r"|\s*\([A-Z.]+\)|['\u2019]s\b)*"
)
_SEP = r"(?:\s*,\s*(?:and\s+|or\s+|as well as\s+)?|\s+(?:and|or|as well as|plus)\s+)"
_LIST_GAP = re.compile(rf"{_SUFFIX}{_SEP}(?:{_NAME}{_SUFFIX}{_SEP})*(?:[A-Z][\w.]*['\u2019]s\s+)?")
_LIST_START = 60  # characters between the cue and the first name of its list
_LIST_GAP_MAX = 160  # longest run of unknown names between two known ones (bounds the regex)
_SELF_SPEECH = re.compile(
    r"(?i)\b(?:the company|the firm|a spokes(?:person|man|woman)|the spokes(?:person|man|woman))"
    r" (?:said|says|told|added|wrote|stated)|\b(?:said|says|told) (?:the company|the firm"
    r"|a spokes(?:person|man|woman))\b"
)
_QUOTE = re.compile(r"[\"\u201c\u201d]")
_ALLEGED = re.compile(r"(?i)\b(?:alleg\w*|accus\w*|critics|charged that|claimed that)\b")
_REPORTED = re.compile(r"(?i)\b(?:reportedly|according to (?!\w+['\u2019]s)|sources)\b")
_ANAPHOR = re.compile(
    r"(?:\b(?P<det>[Tt]he|[Tt]his|[Tt]hat|[Tt]hese|[Ii]ts|[Tt]heir|[Ss]uch an?|new|proposed"
    r"|pending)\s+"
    r"|\b[A-Z][\w.]*(?:\s+[A-Z]\w*)?['\u2019]s\s+)"
    r"(?:(?:(?!(?:[Tt]he|[Aa]n?|[Tt]his|[Tt]hat|[Tt]hese|[Ii]ts|[Tt]heir)\s)[\w\u2019'-]+\s+){0,3}?)"
    r"(?P<noun>Act\b|[Ll]aw\b|[Bb]ill\b|[Ll]egislation\b|[Ss]tatute\b"
    r"|[Mm]easure\b|[Mm]oratorium\b|[Bb]an\b|[Oo]rdinance\b"
    r"|[Cc]ode\b|[Pp]ledge\b|[Cc]ommitments\b|[Pp]act\b|[Aa]greement\b|[Gg]uidelines\b"
    r"|[Pp]rinciples\b|[Ss]afeguards\b|[Ff]ramework\b"
    r"|[Rr]ules\b|[Rr]egulation\b|[Rr]equest\b|[Oo]rder\b|[Rr]uling\b|[Dd]ecision\b|[Ff]ine\b"
    r"|[Cc]all\b|[Pp]roposal\b|[Mm]ove\b)"
)
_INDEFINITE = frozenset({"new", "proposed", "pending"})
_INSTRUMENTS = frozenset({"legislation", "law", "bill"})
# Which kinds of law a definite description can name ("the code" is never the GDPR).
_LAW_KINDS = frozenset({"law"})
_CODE_KINDS = frozenset({"code"})
_ANY_KIND = frozenset({"law", "code", "order"})
_ANAPHOR_KINDS = {
    "act": _LAW_KINDS,
    "law": _LAW_KINDS,
    "bill": _LAW_KINDS,
    "legislation": _LAW_KINDS,
    "statute": _LAW_KINDS,
    "measure": _LAW_KINDS,
    "moratorium": _LAW_KINDS,
    "ban": _LAW_KINDS,
    "ordinance": _LAW_KINDS,
    "code": _CODE_KINDS,
    "pledge": _CODE_KINDS,
    "commitments": _CODE_KINDS,
    "pact": _CODE_KINDS,
    "agreement": _CODE_KINDS,
    "guidelines": _CODE_KINDS,
    "principles": _CODE_KINDS,
    "safeguards": _CODE_KINDS,
    "framework": frozenset({"law", "code"}),
    "rules": frozenset({"law", "code"}),
    "regulation": _LAW_KINDS,
    "order": frozenset({"law", "order"}),
}
_ONE_INSTRUMENT = re.compile(r"(?i)\b(?:legislation|law|bill)$")
_CAUSE = re.compile(
    r"(?i)\b(?:due to|because|amid|after|following|despite|although|whereas|while|until|under"
    r"|pursuant to)\b"
)
_COORDINATED = re.compile(r"(?i)\s*(?:,\s*)?(?:and|or|as well as)?\s*(?:the\s+)?")
_IT_AFTER_CUE = re.compile(r"^\s+(?:it|them)\b")
# "called it an overreach": "it" is what the predicate after it judges
_CALLED_IT = re.compile(
    r"(?i)\b(?:call(?:s|ed|ing)?|describ(?:e|es|ed|ing)|brand(?:s|ed|ing)?|deem(?:s|ed|ing)?)"
    r"\s+(?P<it>it|them)\b"
)
_OCCASION = re.compile(
    r"(?i)\b(?:conference|summit|event|hearing|workshop|meeting|panel|forum|session|interview"
    r"|webinar|roundtable)s?\s+(?:on|about|over|for)\b|\b(?:at|during)\s+(?:an?|the)\s+"
)
# A stance in a question or a condition is no stance: "unclear whether Apple will sign".
_HYPOTHETICAL = re.compile(
    r"(?i)(?:\b(?:whether|unclear|undecided|yet to decide|not yet decided)|(?:^|[,;:]\s*)"
    r"[\"\u201c]?if)\b[^,;]*$"
)
_GENERIC_REGULATION = re.compile(
    r"(?i)\b(?:(?:[\w-]+\s+){0,2}regulations?|regulators|regulatory (?:environment|regime"
    r"|framework|burden|process|uncertainty)|red tape|(?:\w+\s+)?rules)\b"
)
_EUROPE = re.compile(r"\b(?:EU|E\.U\.|Europe|European|Brussels|the bloc)\b")
_US_FEDERAL = re.compile(r"(?i)\bfederal\b")
_DESCRIPTION = (
    r"(?:company|firm|startup|start-up|group|giant|maker|chipmaker|developer|lab|platform"
    r"|owner|parent|provider|operator)"
)
_PEOPLE = r"(?:CEO|chief executive|executive|founder|boss)"  # "the CEOs": their companies
_PRONOUN_HOLDER = re.compile(
    rf"(?i)\b(?:(?:both|the two|the|these|all three) (?:[\w-]+ )?(?:{_DESCRIPTION}|{_PEOPLE})s"
    rf"|the (?:[\w-]+ )?{_DESCRIPTION}|the {_PEOPLE}\b(?! of)"
    r"|it|its|they|their|both|he|she|his|her|we|our|us)\b"
)
_FIRST_PERSON_ANYWHERE = re.compile(r"(?i)\b(?:we|our|us)\b")
_PLURAL = re.compile(r"(?i)^(?:they|their|both|(?:both|the two|the|these|all three) .*s)$")
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
        title: Sentence | None = None,
        title_mentions: Sequence[Mention] = (),
        text: str | None = None,
    ) -> tuple[StanceClaim, ...]:
        """The claims of an article's sentences, read with what the article is about.

        The document pass: the laws the title and the first paragraph name are the article's
        main targets, which "the code", "the bill" or a list that "signed on" refer to when no
        nearer law fits; a stance taken by a group ("over 150 executives signed a letter
        voicing concerns over the AI Act", or the title's) is joined by the companies a
        following sentence lists ("Signatories include A and B").
        """
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
        lead = [m for m in title_mentions] + [
            m for s in sentences[:LEAD_SENTENCES] for m in by_sentence[s.index]
        ]
        main_targets = list(
            dict.fromkeys(
                m.entity_id
                for m in lead
                if m.kind is EntityKind.LAW
                and (law := self._laws.get(m.entity_id)) is not None
                and not law.generic
            )
        )
        if dominant is not None and dominant not in main_targets:
            main_targets.append(dominant)
        context = _Context(main_targets, [], [])
        if title is not None:
            for polarity, target_id, cue in self._title_events(title, title_mentions, context):
                context.events.append(_Event(-1, polarity, target_id, cue))

        claims: list[StanceClaim] = []
        recent_companies: list[tuple[int, str]] = []  # (sentence index, company id)
        for sentence in sentences:
            here = by_sentence[sentence.index]
            found = self._sentence_claims(
                sentence, here, recent_companies, context, headline_company
            )
            if not any(c.stance is not StanceLabel.NEUTRAL for c in found):
                found.extend(self._joined(sentence, here, context, sentences, text))
            claims.extend(found)
            for claim in found:
                if claim.stance is not StanceLabel.NEUTRAL:
                    polarity = 1 if claim.stance is StanceLabel.SUPPORT else -1
                    if claim.stance is not StanceLabel.MIXED:
                        event = _Event(sentence.index, polarity, claim.target_id, claim.cue)
                        context.events.append(event)
            for mention in here:
                if mention.kind is EntityKind.COMPANY:
                    recent_companies.append((sentence.index, mention.entity_id))
                else:
                    law = self._laws.get(mention.entity_id)
                    if law is not None and not law.generic:
                        context.recent_targets.append((sentence.index, mention.entity_id))
        return tuple(claims)

    def _title_events(
        self, title: Sentence, mentions: Sequence[Mention], context: _Context
    ) -> list[tuple[int, str, str]]:
        """What the headline says is done to its law, whoever does it."""
        cues = _find_cues(title.text)
        targets = self._targets(title.text, title.start, list(mentions), cues, context, -1)
        events = []
        for target in targets:
            if target.generic:
                continue
            cue = _governing_cue(title.text, target, cues, targets)
            if cue is None or _NEGATION.search(title.text[: cue.start]):
                continue
            events.append((cue.polarity, target.target_id, cue.text))
        return events

    def _joined(
        self,
        sentence: Sentence,
        mentions: list[Mention],
        context: _Context,
        sentences: Sequence[Sentence],
        text: str | None,
    ) -> list[StanceClaim]:
        """Companies listed as joining a stance taken just before: "Companies include A, B"."""
        membership = _MEMBERSHIP.search(sentence.text)
        if membership is None:
            return []
        signing = bool(_SIGNING.search(sentence.text))
        # Signatories join the stance of the last three sentences or of the headline; a bare
        # "Companies include A and B" only a group's stance in the sentence just before.
        event = next(
            (
                e
                for e in reversed(context.events)
                if (
                    signing
                    and (
                        e.sentence_index == -1
                        or sentence.index - e.sentence_index <= JOIN_SENTENCES
                    )
                )
                or (e.by_group and e.sentence_index == sentence.index - 1)
            ),
            None,
        )
        if signing:
            # the signatories of a code: the code named here, else the article's code
            named = [m.entity_id for m in mentions if m.kind is EntityKind.LAW]
            code = next(
                (
                    t
                    for t in (*named, *context.main_targets)
                    if (law := self._laws.get(t)) is not None and law.kind == "code"
                ),
                None,
            )
            if code is not None and (event is None or event.target_id == code):
                event = _Event(sentence.index, 1, code, membership.group())
        if event is None:
            return []
        offset = sentence.start
        holders = [
            m.entity_id
            for m in mentions
            if m.kind is EntityKind.COMPANY and not _modifier(sentence.text, m.end - offset)
        ]
        evidence = sentence.text
        if text is not None and event.sentence_index == sentence.index - 1:
            previous = sentences[event.sentence_index]
            evidence = text[previous.start : sentence.end]
        return [
            StanceClaim(
                company_id=company_id,
                target_id=event.target_id,
                stance=_label(event.polarity),
                evidence=evidence,
                sentence_index=sentence.index,
                confidence=0.7,
                attribution=Attribution.REPORTED,
                cue=membership.group(),
            )
            for company_id in dict.fromkeys(holders)
        ]

    def _sentence_claims(
        self,
        sentence: Sentence,
        mentions: list[Mention],
        recent_companies: list[tuple[int, str]],
        context: _Context,
        headline_company: str | None,
    ) -> list[StanceClaim]:
        text = sentence.text
        offset = sentence.start
        cues = _find_cues(text)
        companies = [m for m in mentions if m.kind is EntityKind.COMPANY]
        targets = self._targets(text, offset, mentions, cues, context, sentence.index)
        if not targets or (not companies and not cues):
            return []
        # An opening "While A ..., B ..." is A's own clause when it names A, else background;
        # "Unlike A, B signs" puts A on the other side.
        opening = _CONCESSIVE.match(text)
        opening_end = opening.end() if opening else 0
        opening_named = [m for m in companies if m.end - offset <= opening_end]
        unlike = bool(opening) and bool(_UNLIKE.match(text))
        speakers = _speakers(text, offset, companies)
        found: dict[tuple[str, str], tuple[int, _Cue, Attribution, float]] = {}

        def add(
            company_id: str,
            target_id: str,
            polarity: int,
            cue: _Cue,
            att: Attribution,
            confidence: float,
        ) -> None:
            key = (company_id, target_id)
            previous = found.get(key)
            stored = 0 if previous is not None and previous[0] != polarity else polarity
            found[key] = (stored, cue, att, round(confidence, 3))

        for target in targets:
            cue = _governing_cue(text, target, cues, targets)
            if cue is None or _FROM_NOUN.match(cue.text):
                continue  # "pushback from the DPC": the holder is named after (_agent_claims)
            in_opening = cue.start < opening_end
            if in_opening and (unlike or not opening_named or target.start >= opening_end):
                continue
            if _HYPOTHETICAL.search(text[0 if in_opening else opening_end : cue.start]):
                continue
            polarity = cue.polarity
            before = text[: cue.start]
            if _NEGATION.search(before[-40:] if in_opening else before):
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
            clause_start = 0 if in_opening else opening_end
            clause_companies = [
                m for m in companies if m.start - offset >= clause_start or in_opening
            ]
            if in_opening:
                clause_companies = opening_named
            clause_ids = {m.entity_id for m in clause_companies}
            clause_speakers = [c for c in speakers if c in clause_ids]
            holders = _holders(text, offset, clause_companies, clause_speakers, cue, target)
            if _JOIN.match(cue.text):
                # "Anthropic joined OpenAI in signing the code": both sign
                holders += _list_after(text, offset, companies, cue.end)[:1] * bool(
                    re.match(r"\s*[A-Z][\w.]*(?:\s+[A-Z]\w*)?\s+(?:as|in)\b", text[cue.end :])
                )
            attribution = Attribution.STATED if speakers else Attribution.REPORTED
            if not holders:
                holders = _group_members(text, offset, companies, cue)
            if not holders:
                holders = _pronoun_holder(
                    text[clause_start:],
                    _Cue(
                        cue.start - clause_start,
                        cue.end - clause_start,
                        cue.text,
                        cue.polarity,
                        cue.before_target,
                    ),
                    sentence.index,
                    # "While Amazon backs ..., the e-commerce giant opposes ...": the opening's
                    recent_companies
                    + [(sentence.index, m.entity_id) for m in opening_named if not in_opening],
                    headline_company,
                )
                if not holders:
                    if _GROUP.search(text[clause_start : cue.start]) and not target.generic:
                        context.events.append(
                            _Event(sentence.index, polarity, target_id, cue.text, by_group=True)
                        )
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
                add(company_id, target_id, polarity, cue, attribution, confidence)
            if unlike and not in_opening:
                for mention in opening_named:
                    add(mention.entity_id, target_id, -polarity, cue, attribution, confidence)
        middle = _MID_CONTRAST.search(text, opening_end)
        if middle is not None and _ELLIPTIC_REFUSAL.search(text[middle.end() :]):
            # "A and B have signed the code, while C has refused."
            first = {m.entity_id for m in companies if m.end - offset <= middle.start()}
            second = [m.entity_id for m in companies if m.start - offset >= middle.end()]
            for (company_id, target_id), (polarity, cue, attribution, confidence) in list(
                found.items()
            ):
                if company_id in first and polarity:
                    for other in second:
                        if (other, target_id) not in found:
                            add(other, target_id, -polarity, cue, attribution, confidence)
        if opening_named and not unlike and _ELLIPTIC_REFUSAL.search(text[opening_end:]):
            # "While A has pledged to sign the code, B said it would not."
            opened = {
                k: v for k, v in found.items() if k[0] in {m.entity_id for m in opening_named}
            }
            others = [m.entity_id for m in companies if m.start - offset >= opening_end]
            for (_, target_id), (polarity, cue, attribution, confidence) in opened.items():
                for company_id in others:
                    if polarity and (company_id, target_id) not in found:
                        add(company_id, target_id, -polarity, cue, attribution, confidence)
        for company_id, target_id, polarity, cue in self._agent_claims(
            text, offset, companies, cues, targets
        ):
            if (company_id, target_id) not in found:
                add(company_id, target_id, polarity, cue, Attribution.REPORTED, 0.75)
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

    def _agent_claims(
        self,
        text: str,
        offset: int,
        companies: list[Mention],
        cues: list[_Cue],
        targets: list[_Target],
    ) -> list[tuple[str, str, int, _Cue]]:
        """Holders named after the cue: "the bill was backed by Microsoft", "the bill faces
        opposition from tech firms such as A and B", "with the backing of A"."""
        out: list[tuple[str, str, int, _Cue]] = []
        for cue in cues:
            agent = _AGENT_CUE.match(text[cue.end :])
            noun = _FROM_NOUN.match(cue.text)
            if not cue.before_target or not (agent or noun):
                continue
            if agent and not (_PASSIVE.search(text[: cue.start]) or _PARTICIPLE.match(cue.text)):
                continue
            start = cue.end + (agent.end() if agent else 0)
            named = _list_after(text, offset, companies, start)
            if not named:
                continue
            before = [
                t for t in targets if t.end <= cue.start and cue.start - t.end <= CLAUSE_REACH
            ]
            after = [t for t in targets if t.start >= cue.end and t.start - cue.end <= CLAUSE_REACH]
            target = before[-1] if before else (after[0] if noun and after else None)
            if target is None:
                continue
            target_id, polarity = target.target_id, cue.polarity
            law = self._laws.get(target_id)
            if law is not None and law.opposing_supports:
                target_id, polarity = law.opposing_supports, -polarity
            out.extend((company_id, target_id, polarity, cue) for company_id in named)
        return out

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
        holders = {m.entity_id for m in companies if not _modifier(sentence.text, m.end - offset)}
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
        context: _Context,
        index: int,
    ) -> list[_Target]:
        targets: list[_Target] = []

        def referent(position: int, kinds: frozenset[str]) -> str | None:
            here = [t.target_id for t in targets if not t.generic and t.end <= position]
            return self._referent(here, context, kinds)

        for mention in mentions:
            law = self._laws.get(mention.entity_id)
            if mention.kind is EntityKind.LAW and law is not None:
                target = _Target(mention.start - offset, mention.end - offset, law.id, law.generic)
                if law.generic and _ONE_INSTRUMENT.search(mention.surface):
                    # "landmark AI legislation in California" is one bill: the one in the story
                    found = referent(target.start, _LAW_KINDS)
                    if found is not None:
                        target = _Target(target.start, target.end, found, False)
                elif (
                    law.generic
                    and law.governs_ai
                    and _EUROPE.search(text[max(0, target.start - EU_CONTEXT) : target.end])
                ):
                    # "urging the EU to rethink its plans to regulate AI": Europe's AI law
                    regional = self._regional_ai_law("EU", context)
                    if regional is not None:
                        target = _Target(target.start, target.end, regional, False)
                targets.append(target)
        taken = [(t.start, t.end) for t in targets]

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        for match in _ANAPHOR.finditer(text):
            if not free(match.start(), match.end()):
                continue
            noun = match.group("noun").lower()
            if match.group("det") in _INDEFINITE and noun not in _INSTRUMENTS:
                continue  # "new legislation" is the bill in the story; "new rules" may be any
            kinds = _ANAPHOR_KINDS.get(noun, _ANY_KIND)
            found = referent(match.start(), kinds)
            if found is not None:
                targets.append(_Target(match.start(), match.end(), found, False))
        for called in _CALLED_IT.finditer(text):
            found = referent(called.start(), _ANY_KIND)
            if found is not None and free(called.start("it"), called.end("it")):
                targets.append(_Target(called.start("it"), called.end("it"), found, False))
        for cue in cues:
            it = _IT_AFTER_CUE.match(text[cue.end :])
            if cue.before_target and it:
                found = referent(cue.start, _ANY_KIND)
                if found is not None:
                    start = cue.end + it.start()
                    targets.append(_Target(start, cue.end + it.end(), found, False))
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
                around = text[max(0, match.start() - EU_CONTEXT) : match.end()]
                target_id = "eu-regulation" if _EUROPE.search(around) else "ai-regulation"
                if target_id in self._laws:
                    targets.append(_Target(start, match.end(), target_id, True))
        return sorted(targets, key=lambda t: t.start)

    def _referent(self, here: list[str], context: _Context, kinds: frozenset[str]) -> str | None:
        """What "the code", "the bill", "it" names: the nearest law of a fitting kind in the
        sentence, then in the sentences before, then the article's main laws."""
        candidates = [
            *reversed(here),
            *(t for _, t in reversed(context.recent_targets)),
            *context.main_targets,
        ]
        for target_id in candidates:
            law = self._laws.get(target_id)
            if law is not None and law.kind in kinds:
                return target_id
        return None

    def _regional_ai_law(self, jurisdiction: str, context: _Context) -> str | None:
        """The region's own AI law when the article names it (the EU's: the AI Act)."""
        for target_id in (*context.main_targets, *(t for _, t in context.recent_targets)):
            law = self._laws.get(target_id)
            if (
                law is not None
                and law.jurisdiction == jurisdiction
                and law.governs_ai
                and law.kind == "law"
                and not law.generic
                and law.parent is not None
                and (parent := self._laws.get(law.parent)) is not None
                and parent.generic
            ):
                return target_id
        return None


def _find_cues(text: str) -> list[_Cue]:
    cues: list[_Cue] = []
    for pattern, polarity, before in (
        (_SUPPORT_BEFORE, 1, True),
        (_OPPOSE_BEFORE, -1, True),
        (_SUPPORT_AFTER, 1, False),
        (_SUPPORT_AFTER_NEEDED, 1, False),
        (_OPPOSE_AFTER, -1, False),
    ):
        for match in pattern.finditer(text):
            cues.append(_Cue(match.start(), match.end(), match.group(), polarity, before))
    # "refused to sign" is one cue, not also a "sign"
    kept = [
        c
        for c in cues
        if not any(
            o is not c
            and o.start <= c.start
            and c.end <= o.end
            and o.end - o.start > c.end - c.start
            for o in cues
        )
    ]
    return sorted(kept, key=lambda c: c.start)


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
            if _NEUTRAL.search(gap):
                continue  # "committed to privacy and have complied with X": compliance, no stance
            if _OCCASION.search(gap):
                continue  # "joined a workshop on X", "praised open models at a summit on X"
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
        if not cue.before_target and cue.text.lower().startswith("to be") and len(gap) < 20:
            return cue  # "lobbied for X to be watered down": the complement decides
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
    subject = [
        m
        for m in companies
        if m.end - offset <= subject_end and not _modifier(text, m.end - offset)
    ]
    relatives = list(_RELATIVE.finditer(text, 0, subject_end))
    if relatives:
        relative = relatives[-1]
        # "faced opposition from the group NOYB, which called on ...": the clause's subject is
        # the noun just before "which", a company only when it is named there
        subject = [
            m
            for m in subject
            if m.start - offset > relative.start() or relative.start() - (m.end - offset) <= 12
        ]
    holders = [m.entity_id for m in subject]
    # A speaker after a quote holds the quoted stance even when named last.
    quoted = bool(_QUOTE.search(text)) or bool(speakers)
    if speakers and (quoted or not holders):
        holders = [*speakers, *(h for h in holders if h in speakers)]
    return list(dict.fromkeys(holders))


def _modifier(text: str, end: int) -> bool:
    """A name that only describes another: "Meta-backed", "OpenAI partner Microsoft"."""
    return bool(_MODIFIER.match(text[end:]))


def _list_after(text: str, offset: int, companies: list[Mention], start: int) -> list[str]:
    """The companies of the list that begins shortly after ``start``."""
    named: list[str] = []
    position = start
    for mention in sorted(companies, key=lambda m: m.start):
        begin = mention.start - offset
        if begin < position:
            continue
        gap = text[position:begin]
        if not named:
            if len(gap) > _LIST_START or re.search(r"[;:.]|\b(?:and|but|which|that|who)\b", gap):
                break
        elif len(gap) > _LIST_GAP_MAX or not _LIST_GAP.fullmatch(gap):
            break
        if not _modifier(text, mention.end - offset):
            named.append(mention.entity_id)
        position = mention.end - offset
    return list(dict.fromkeys(named))


def _group_members(text: str, offset: int, companies: list[Mention], cue: _Cue) -> list[str]:
    """A group as the subject, its members named after: "Other companies that have joined this
    pledge include A, B and C"."""
    if not _GROUP.search(text[: cue.start]):
        return []
    include = _MEMBERS_ARE.search(text, cue.end)
    if include is None:
        return []
    return _list_after(text, offset, companies, include.end())


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
        if not in_quote and _SPEECH.search(text[: match.start()]):
            return []  # "the regulator said it is concerned": "it" is the speaker, not a company
        if _FIRST_PERSON.match(word) and not in_quote and headline_company:
            return [headline_company]
        if not recent_companies or index - recent_companies[-1][0] > HOLDER_SENTENCES:
            return []
        last_index, last_company = recent_companies[-1]
        if _PLURAL.match(word):
            named = [c for i, c in recent_companies if i == last_index]
            return list(dict.fromkeys(named))
        if (
            headline_company
            and word.lower().startswith("the ")
            and any(c == headline_company for _, c in recent_companies)
        ):
            return [headline_company]  # "the startup" is the one the article is about
        return [last_company]
    return []


def _contrasted(text: str, cue: _Cue, cues: list[_Cue], polarity: int) -> bool:
    """Support and opposition joined by "but"/"however" in one sentence: mixed. Signing
    while warning is mixed too ("will sign the code, but warned it could slow ...")."""
    if polarity > 0 and _PARTIAL.match(text[cue.end :]):
        return True  # "signed only the safety chapter"
    for contrast in _CONTRAST.finditer(text):
        first, second = text[: contrast.start()], text[contrast.end() :]
        if cue.end <= contrast.start():
            later = [c for c in cues if c.start >= contrast.end() and c.polarity == -polarity]
            if later and first and second and later[0].before_target:
                return True
            if polarity > 0 and _WARNED.match(second):
                return True
    return False


def _label(polarity: int) -> StanceLabel:
    if polarity > 0:
        return StanceLabel.SUPPORT
    if polarity < 0:
        return StanceLabel.OPPOSE
    return StanceLabel.MIXED
