"""Consistent stand-ins: `[Person 3]`, `[Practice 1]`, `[NHS number]`; a person's variants
("Janet Pryce", "Janet", "Mrs Pryce") share one."""

from __future__ import annotations

import re

FIXED = {
    "nhs_number": "[NHS number]",
    "phone": "[Phone number]",
    "postcode": "[Postcode]",
    "email": "[E-mail address]",
    "date_of_birth": "[Date of birth]",
}
NUMBERED = {
    "person": "Person",
    "place": "Place",
    "organisation": "Organisation",
    "document": "Document",
}
_NUMBERED = re.compile(r"^\[(?P<label>[^\]]+?) (?P<n>\d+)\]$")


def person_key(text: str) -> tuple[str, ...]:
    from workbench.pseudonyms.names import TITLES

    return tuple(re.sub(rf"^(?:{TITLES})\.?\s+", "", text).split())


class StandIns:
    """Hands out stand-ins, numbering on from those a project already has."""

    def __init__(self, existing: list[tuple[str, str, str]]) -> None:
        self.used: dict[str, int] = {}
        self.people: dict[tuple[str, ...], str] = {}
        for text, kind, rep in existing:
            self._note(text, kind, rep)

    def _note(self, text: str, kind: str, rep: str) -> None:
        m = _NUMBERED.match(rep)
        if m:
            label = m.group("label")
            self.used[label] = max(self.used.get(label, 0), int(m.group("n")))
        if kind == "person":
            self.people.setdefault(person_key(text), rep)

    def _linked(self, key: tuple[str, ...]) -> str | None:
        if key in self.people:
            return self.people[key]
        if len(key) != 1:
            return None
        reps = {r for k, r in self.people.items() if len(k) >= 2 and key[0] in (k[0], k[-1])}
        return reps.pop() if len(reps) == 1 else None

    def assign(self, text: str, kind: str, label: str = "") -> str:
        if kind in FIXED:
            return FIXED[kind]
        rep = self._linked(person_key(text)) if kind == "person" else None
        if rep is None:
            name = label or NUMBERED.get(kind, kind.title())
            n = self.used.get(name, 0) + 1
            rep = f"[{name} {n}]"
        self._note(text, kind, rep)
        return rep
