"""Each recogniser on positive and negative cases; stand-ins; the replacer's offsets."""

from __future__ import annotations

import pytest

from workbench.pseudonyms.patterns import find_patterns, nhs_number_valid
from workbench.pseudonyms.replace import Entry, Replacer
from workbench.pseudonyms.standins import StandIns


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_patterns(text)]


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "9876543210"])
def test_valid_nhs_numbers_pass_the_check_digit(number: str) -> None:
    assert nhs_number_valid(number)


@pytest.mark.parametrize("number", ["9434765918", "4010232138", "1234567890", "943476591"])
def test_a_wrong_check_digit_is_not_an_nhs_number(number: str) -> None:
    assert not nhs_number_valid(number)


def test_nhs_numbers_in_their_usual_groupings() -> None:
    text = "It's 943 476 5919, or 943-476-5919, or 9434765919; not 943 476 5918."
    assert kinds(text) == [("nhs_number", "943 476 5919"), ("nhs_number", "943-476-5919"),
                           ("nhs_number", "9434765919")]  # fmt: skip


def test_uk_phone_numbers() -> None:
    text = "Ring 07700 900123, 0113 496 0000, +44 (0)20 7946 0018 or (01632) 960001."
    assert [t for k, t in kinds(text) if k == "phone"] == [
        "07700 900123",
        "0113 496 0000",
        "+44 (0)20 7946 0018",
        "(01632) 960001",
    ]


@pytest.mark.parametrize(
    "text", ["It took 0800 hours", "page 0123 4", "call 09012 345678 9999 1", "in 2021 2022"]
)
def test_things_that_are_not_phone_numbers(text: str) -> None:
    assert [k for k, _ in kinds(text) if k == "phone"] == []


def test_postcodes_and_non_postcodes() -> None:
    assert kinds("We're at LS6 2AB and SW1A 1AA; EC1A1BB too.") == [
        ("postcode", "LS6 2AB"),
        ("postcode", "SW1A 1AA"),
        ("postcode", "EC1A1BB"),
    ]
    assert kinds("It was a COVID19 thing, form A4 2BB is not mail, QV1 1AA neither.") == [
        ("postcode", "A4 2BB")  # well-formed: a postcode shape is a postcode
    ]


def test_email_addresses() -> None:
    assert kinds("Write to janet.pryce@example.org, or J_P+nhs@mail.example.co.uk.") == [
        ("email", "janet.pryce@example.org"),
        ("email", "J_P+nhs@mail.example.co.uk"),
    ]
    assert kinds("the @ sign, user@localhost and a@b are not addresses") == []


def test_dates_of_birth_need_a_birth_word_nearby() -> None:
    assert kinds("She was born on 14/02/1938. DOB: 3rd March 1948.") == [
        ("date_of_birth", "14/02/1938"),
        ("date_of_birth", "3rd March 1948"),
    ]
    assert kinds("Her date of birth is the 2nd of May 1951") == [
        ("date_of_birth", "the 2nd of May 1951")
    ]
    assert kinds("The appointment was on 14/02/2024 and again on 3 March 2024.") == []


def test_stand_ins_number_on_and_link_a_persons_variants() -> None:
    st = StandIns([("Edith Pryce", "person", "[Person 4]"), ("Leeds", "place", "[Place 2]")])
    assert st.assign("Janet Pryce", "person") == "[Person 5]"
    assert st.assign("Janet", "person") == "[Person 5]"
    assert st.assign("Mrs Edith Pryce", "person") == "[Person 4]"
    assert st.assign("Edith", "person") == "[Person 4]"
    assert st.assign("Pryce", "person") == "[Person 6]"  # two Pryces: not guessed
    assert st.assign("Harrogate", "place") == "[Place 3]"
    assert st.assign("Riverside Surgery", "organisation", "Practice") == "[Practice 1]"
    assert st.assign("943 476 5919", "nhs_number") == "[NHS number]"


def test_the_replacer_keeps_spans_whole() -> None:
    rep = Replacer(
        [
            Entry("Janet Pryce", "person", "[Person 1]"),
            Entry("Janet", "person", "[Person 1]"),
            Entry("9434765919", "nhs_number", "[NHS number]"),
            Entry("J.P@example.org", "email", "[E-mail address]"),
            Entry("carer_07", "document", "[Document 1]"),
        ]
    )
    text = "Janet Pryce said Janet's number, 943 476 5919, and j.p@EXAMPLE.org. Janetta stays."
    new, m = rep.map_text(text)
    assert new == (
        "[Person 1] said [Person 1]'s number, [NHS number], and [E-mail address]. Janetta stays."
    )
    assert new[m.start(3) : m.end(8)] == "[Person 1]"  # half a name becomes the whole stand-in
    assert new[m.start(12) : m.end(16)] == "said"
    assert rep("carer_07") == "[Document 1]" and rep("carer_07 notes") == "carer_07 notes"


def test_the_pseudonyms_package_loads_no_textual_spacy_or_torch() -> None:
    import subprocess
    import sys

    mods = ", ".join(
        f"workbench.pseudonyms.{m}"
        for m in ("apply", "detect", "names", "patterns", "replace", "standins", "store")
    )
    code = (
        f"import sys, {mods}, workbench.cli.pseudonyms_cmd\n"
        "print(','.join(m for m in ('textual', 'torch', 'sentence_transformers', 'spacy') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
