"""The document pass and the linguistic classes of issue 11, on sentences written for these tests.

Each class is how unseen news states a stance: a definite description for the law, a pronoun or
description for the company, a list of names, a noun or a passive, a contrast between two
companies. None of these sentences comes from an evaluation set.
"""

from __future__ import annotations

import pytest

from bot.domain.analysis import Analyser

Claim = tuple[str, str, str]
CODE = "eu-gpai-code-of-practice"


def claims(analyser: Analyser, text: str, title: str = "") -> set[Claim]:
    return {
        (c.company_id, c.target_id, str(c.stance))
        for c in analyser.analyse(title, text).positions()
    }


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        # "the code", "the bill", "the measure", "the moratorium": the law named before
        (
            "GPAI code",
            "Brussels published the GPAI code of practice last week. "
            "Microsoft is inclined to sign the code, Brad Smith said.",
            {("microsoft", CODE, "support")},
        ),
        (
            "The Commission published the GPAI code of practice",
            "OpenAI is expected to sign the code.",
            {("openai", CODE, "support")},
        ),
        (
            "SB 53",
            "Governor Newsom signed SB 53 on Monday. Anthropic had endorsed the measure.",
            {("anthropic", "california-sb-53", "support")},
        ),
        (
            "AI moratorium",
            "Senators debated the AI moratorium. OpenAI and Meta spoke to senators. "
            "They also cited concerns about the moratorium.",
            {("openai", "us-ai-preemption", "oppose"), ("meta", "us-ai-preemption", "oppose")},
        ),
        # the law's kind decides: "the code" is never the GDPR named in between
        (
            "EU code of practice for AI",
            "The GPAI code of practice was published. Regulators also cited the GDPR. "
            "Google said it would sign the code.",
            {("google", CODE, "support")},
        ),
    ],
)
def test_definite_descriptions_name_the_law_of_their_kind(
    analyser: Analyser, title: str, text: str, expected: set[Claim]
) -> None:
    assert claims(analyser, text, title) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Anthropic issued a statement on SB 53. The tech giant criticised the bill.",
            {("anthropic", "california-sb-53", "oppose")},
        ),
        (
            "Google and Microsoft discussed SB 53. Both companies backed the bill.",
            {
                ("google", "california-sb-53", "support"),
                ("microsoft", "california-sb-53", "support"),
            },
        ),
        (
            "Sam Altman and Dario Amodei testified on SB 53. The CEOs backed the bill.",
            {
                ("openai", "california-sb-53", "support"),
                ("anthropic", "california-sb-53", "support"),
            },
        ),
        (
            "Cohere and IBM met lawmakers about the RAISE Act. They later endorsed it.",
            {("cohere", "ny-raise-act", "support"), ("ibm", "ny-raise-act", "support")},
        ),
    ],
)
def test_pronouns_and_descriptions_name_the_companies_before(
    analyser: Analyser, text: str, expected: set[Claim]
) -> None:
    assert claims(analyser, text) == expected


def test_it_after_a_speaker_who_is_not_a_company_holds_nothing(analyser: Analyser) -> None:
    text = (
        "OpenAI launched a chatbot in Italy. "
        "The Italian regulator said it was concerned about the GDPR's reach."
    )
    assert claims(analyser, text) == set()


def test_a_description_is_the_company_the_article_is_about(analyser: Analyser) -> None:
    text = (
        "Mistral raised money this week, and Meta released a model. "
        "The French startup criticised the AI Act."
    )
    assert claims(analyser, text, title="Mistral on AI rules") == {
        ("mistral", "eu-ai-act", "oppose")
    }


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        # a list before the cue, with names the catalog does not know in between
        (
            "AI pledge",
            "Amazon.com Inc., Acme Robotics Ltd. and Cohere Inc. will adopt the voluntary "
            "commitments on AI.",
            {
                ("amazon", "white-house-ai-commitments", "support"),
                ("cohere", "white-house-ai-commitments", "support"),
            },
        ),
        # a group as the subject, its members after "include"
        (
            "White House AI commitments",
            "Other companies that have joined this pledge include Amazon, Acme AI and Meta.",
            {
                ("amazon", "white-house-ai-commitments", "support"),
                ("meta", "white-house-ai-commitments", "support"),
            },
        ),
        # the group's stance, then the members in the next sentence
        (
            "Code of practice",
            "A dozen AI developers said they would sign the GPAI code of practice. "
            "Signatories include Amazon, Anthropic, IBM and Mistral AI.",
            {(c, CODE, "support") for c in ("amazon", "anthropic", "ibm", "mistral")},
        ),
        (
            "Business leaders write to Brussels",
            "More than 100 executives signed an open letter voicing concerns over the AI Act. "
            "Signatories range from the heads of Airbus to the chief executive of Siemens.",
            {("airbus", "eu-ai-act", "oppose"), ("siemens", "eu-ai-act", "oppose")},
        ),
        # "A and B signed on" with no object: the article's main law
        (
            "Apple joins the White House AI commitments",
            "Apple agreed to the White House AI commitments on Friday. "
            "Google and IBM signed on last year.",
            {(c, "white-house-ai-commitments", "support") for c in ("apple", "google", "ibm")},
        ),
        # "joining A as signatories": A signs too
        (
            "Code",
            "Joining OpenAI as signatories of the GPAI code of practice, Anthropic and Mistral "
            "said they would sign it.",
            {(c, CODE, "support") for c in ("openai", "anthropic", "mistral")},
        ),
    ],
)
def test_lists_and_coordination(
    analyser: Analyser, title: str, text: str, expected: set[Claim]
) -> None:
    assert claims(analyser, text, title) == expected


def test_signing_a_letter_takes_the_letters_side(analyser: Analyser) -> None:
    text = (
        "Siemens and SAP signed an open letter saying they have \u201cserious concerns\u201d "
        "about the AI Act."
    )
    assert claims(analyser, text) == {
        ("siemens", "eu-ai-act", "oppose"),
        ("sap", "eu-ai-act", "oppose"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The RAISE Act passed the Senate. The bill faces opposition from tech companies "
            "such as Meta and Google.",
            {("meta", "ny-raise-act", "oppose"), ("google", "ny-raise-act", "oppose")},
        ),
        (
            "SB 53 passed with the backing of Anthropic and Microsoft.",
            {
                ("anthropic", "california-sb-53", "support"),
                ("microsoft", "california-sb-53", "support"),
            },
        ),
        (
            "The RAISE Act was drafted in Albany. That bill was backed by tech giant IBM.",
            {("ibm", "ny-raise-act", "support")},
        ),
        ("Meta's opposition to the AI Act is well known.", {("meta", "eu-ai-act", "oppose")}),
        (
            "The GPAI code of practice was published. Google and Meta have called the code "
            "unworkable.",
            {("google", CODE, "oppose"), ("meta", CODE, "oppose")},
        ),
        (
            "Meta and Google have committed to the voluntary framework of White House AI "
            "commitments.",
            {
                ("meta", "white-house-ai-commitments", "support"),
                ("google", "white-house-ai-commitments", "support"),
            },
        ),
        (
            "Siemens and SAP called for a pause of the AI Act.",
            {("siemens", "eu-ai-act", "oppose"), ("sap", "eu-ai-act", "oppose")},
        ),
        (
            "Mistral AI urged Brussels to postpone the AI Act by two years.",
            {("mistral", "eu-ai-act", "oppose")},
        ),
    ],
)
def test_nouns_passives_and_reported_facts(
    analyser: Analyser, text: str, expected: set[Claim]
) -> None:
    assert claims(analyser, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Google will sign the EU's code of practice for general-purpose AI, but warned "
            "that it could slow Europe's development of AI.",
            {("google", CODE, "mixed")},
        ),
        (
            "xAI signed only the safety and security chapter of the code of practice.",
            {("xai", CODE, "mixed")},
        ),
    ],
)
def test_signing_while_criticising_is_mixed(
    analyser: Analyser, text: str, expected: set[Claim]
) -> None:
    assert claims(analyser, text) == expected


def test_the_signatories_of_a_code_support_it(analyser: Analyser) -> None:
    text = (
        "Signatories of the GPAI code of practice include Amazon, Google and IBM, the "
        "Commission said."
    )
    assert claims(analyser, text) == {(c, CODE, "support") for c in ("amazon", "google", "ibm")}


def test_a_refusal_noun_opposes(analyser: Analyser) -> None:
    text = "Experts said Meta's refusal to sign the GPAI code of practice invites scrutiny."
    assert claims(analyser, text) == {("meta", CODE, "oppose")}


def test_the_regulator_of_a_pushback_is_not_the_company(analyser: Analyser) -> None:
    text = "Meta paused its AI launch after pushback from the Irish Data Protection Commission."
    assert claims(analyser, text) == set()


def test_a_relative_clause_belongs_to_its_own_noun(analyser: Analyser) -> None:
    text = "Meta faced criticism from the group Noyb, which called for strict AI regulation."
    assert claims(analyser, text) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Unlike Meta, Google will sign the EU's code of practice for general-purpose AI.",
            {("google", CODE, "support"), ("meta", CODE, "oppose")},
        ),
        (
            "While OpenAI has pledged to sign the code of practice, Meta said it would not.",
            {("openai", CODE, "support"), ("meta", CODE, "oppose")},
        ),
        (
            "OpenAI will sign the GPAI code of practice. In contrast, Meta said it would not "
            "sign the code.",
            {("openai", CODE, "support"), ("meta", CODE, "oppose")},
        ),
    ],
)
def test_contrast_puts_two_companies_on_opposite_sides(
    analyser: Analyser, text: str, expected: set[Claim]
) -> None:
    assert claims(analyser, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Europe's rules in general; a specific law when the EU's AI rules are meant
        (
            "Meta criticised Europe's fragmented regulatory landscape for AI.",
            {("meta", "eu-regulation", "oppose")},
        ),
        (
            "The AI Act was adopted in 2024. Siemens urged the EU to rethink its plans to "
            "regulate AI.",
            {("siemens", "eu-ai-act", "oppose")},
        ),
        (
            "OpenAI said it would comply. \u201cWe believe regulation of AI is needed,\u201d "
            "the company said.",
            {("openai", "ai-regulation", "support")},
        ),
    ],
)
def test_general_targets(analyser: Analyser, text: str, expected: set[Claim]) -> None:
    assert claims(analyser, text) == expected


def test_complying_is_not_support(analyser: Analyser) -> None:
    text = "OpenAI said it is committed to privacy and has complied with the GDPR and AI rules."
    assert ("openai", "gdpr", "support") not in claims(analyser, text)


def test_the_instrument_of_a_suit_is_not_its_object(analyser: Analyser) -> None:
    text = "The watchdog is suing X Corp under the GDPR over Grok's AI training."
    assert claims(analyser, text) == set()


def test_evidence_of_a_joined_list_spans_both_sentences(analyser: Analyser) -> None:
    text = (
        "Seven AI companies have agreed to follow the White House AI commitments. "
        "Companies include Meta and Google."
    )
    result = analyser.analyse("AI safeguards", text)
    (meta,) = [c for c in result.positions() if c.company_id == "meta"]
    assert meta.evidence == text


def test_one_company_on_both_sides_of_a_concession_is_mixed(analyser: Analyser) -> None:
    text = (
        "Lawmakers debated a ban on facial recognition. While Amazon backs the ban on facial "
        "recognition, the e-commerce giant has been reluctant to support the bill."
    )
    assert claims(analyser, text) == {("amazon", "facial-recognition-regulation", "mixed")}


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # a question or a condition
        ("GPAI code", "It is unclear whether Apple will sign the GPAI code of practice."),
        # examples of a hypothetical group are not its members
        (
            "GPAI code",
            "The Commission said companies that sign the GPAI code of practice, such as "
            "Microsoft, will face less paperwork.",
        ),
        # the object of the verb is an occasion, not the law
        ("GPAI code", "Microsoft joined the Commission's workshop on the GPAI code of practice."),
        ("AI Act", "Meta's AI chief praised open models at a conference about the AI Act."),
        # the law is an occasion and nobody's position
        ("SB 53", "Newsom signed SB 53 after Meta spent millions on lobbying in Sacramento."),
    ],
)
def test_no_stance_in_questions_conditions_or_occasions(
    analyser: Analyser, title: str, text: str
) -> None:
    assert {c for c in claims(analyser, text, title) if c[2] != "neutral"} == set()


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "The GPAI code of practice",
            "OpenAI, Anthropic and Mistral AI have all signed the code, while Meta has refused.",
            {(c, CODE, "support") for c in ("openai", "anthropic", "mistral")}
            | {("meta", CODE, "oppose")},
        ),
        (
            "GPAI code",
            "The GPAI code of practice is voluntary. Meta called it an overreach that will stunt "
            "AI in Europe.",
            {("meta", CODE, "oppose")},
        ),
        (
            "RAISE Act",
            "The RAISE Act won praise from Anthropic, which called it a sensible approach.",
            {("anthropic", "ny-raise-act", "support")},
        ),
        (
            "Omnibus",
            "Siemens chief executive Roland Busch welcomed the Digital Omnibus but said it did not "
            "go far enough.",
            {("siemens", "eu-digital-omnibus", "mixed")},
        ),
    ],
)
def test_more_ways_of_saying_it(
    analyser: Analyser, title: str, text: str, expected: set[Claim]
) -> None:
    assert claims(analyser, text, title) == expected


def test_a_list_joins_only_a_group_stance_just_before_or_a_signing(analyser: Analyser) -> None:
    text = (
        "Meta refused to sign the GPAI code of practice. The report covered the AI sector. "
        "Other companies, including Google and OpenAI, were also named in the report."
    )
    assert claims(analyser, text, title="Meta and the code") == {("meta", CODE, "oppose")}
