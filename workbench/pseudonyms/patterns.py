"""Pattern recognisers with validation: NHS numbers (modulus 11), UK phone numbers,
postcodes, e-mail addresses and dates of birth (a date near "born", "DOB", ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = (
    "person",
    "place",
    "organisation",
    "nhs_number",
    "phone",
    "postcode",
    "email",
    "date_of_birth",
    "document",
)


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    text: str
    kind: str
    label: str = ""  # a finer stand-in label ("Practice") where the recogniser knows one


def nhs_number_valid(digits: str) -> bool:
    """The NHS number check: 10 digits, weights 10..2 on the first nine, modulus 11."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


_NHS = re.compile(r"(?<![\w+\-])(\d{3})([ \-]?)(\d{3})\2(\d{4})(?![\w\-])")
_PHONE = re.compile(r"(?<![\w+])(?:\+44[ \-]?(?:\(0\)[ \-]?)?|\(0|0)\d[\d \-()]{7,14}\d(?![\w\-])")
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])"
)
_EMAIL = re.compile(
    r"(?<![\w.+\-])[^\W_][\w.%+\-]*@[^\W_][\w\-]*(?:\.[\w\-]+)*"
    r"\.[A-Za-z]{2,}(?![\w\-])"
)
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{2}-\d{2}"
    rf"|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_DOB = re.compile(
    r"(?i:\b(?:born|date\s+of\s+birth|d\.?o\.?b\.?|birthday)\b)[^.\n?!]{0,40}?"
    rf"(?P<date>{_DATE})(?!\d)"
)


def _phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
        digits = digits.replace("00", "0", 1) if digits.startswith("00") else digits
    if not digits.startswith("0") or len(digits) not in (10, 11):
        return False
    if text.count("(") != text.count(")"):
        return False
    return digits[1] in "123578"


def find_patterns(text: str) -> list[Found]:
    """Every validated pattern identifier in `text`, by start."""
    out: list[Found] = []
    for m in _EMAIL.finditer(text):
        out.append(Found(m.start(), m.end(), m.group(), "email"))
    for m in _DOB.finditer(text):
        out.append(Found(m.start("date"), m.end("date"), m.group("date"), "date_of_birth"))
    for m in _NHS.finditer(text):
        if nhs_number_valid(m.group(1) + m.group(3) + m.group(4)):
            out.append(Found(m.start(), m.end(), m.group(), "nhs_number"))
    for m in _PHONE.finditer(text):
        raw = m.group().rstrip(" -")
        if _phone_ok(raw):
            out.append(Found(m.start(), m.start() + len(raw), raw, "phone"))
    for m in _POSTCODE.finditer(text):
        out.append(Found(m.start(), m.end(), m.group(), "postcode"))
    return _no_overlaps(out)


def _no_overlaps(found: list[Found]) -> list[Found]:
    """Keep the earlier-listed recogniser's match where two overlap (the order above)."""
    kept: list[Found] = []
    for f in found:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)
