"""The labelled set of benchmarks/pseudonym_quality.py: synthetic transcripts in several
speaking styles with planted identifiers, written as markup.

`[[kind|text]]` is a planted identifier; `{{text}}` is an ordinary word that looks like one
("May", "Bath", "Victoria line", "the Trust") and must not be found. Every name, number and
address is invented; NHS numbers are generated with a valid check digit (and a few with a
wrong one, planted as ordinary text). Deterministic: the same seed gives the same set.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

FIRST = """Janet Edith Colin Priya Amir Grace Tomasz Aisha Bernard Siobhan Kwame Olga Harjit
Deborah Nkechi Wojciech Fatima Gareth Lorraine Mohammed Yusuf Bronwen Declan Agnieszka
Winston Mei Rashid Imogen Callum Shabana Derek Ngozi Hamish Teresa Ravi Elspeth Kofi Maureen
Dariusz Sunita Trevor Ifeoma Alistair Parveen Malcolm Chiamaka Ewan Jadwiga Clive Rukhsana""".split()
LAST = """Pryce Okafor Haddock Shah Begum Kowalski Mensah Fitzgerald Nowak Patel Lloyd Adeyemi
Campbell Hussain Thornton Wiśniewski Chowdhury Pritchard McAllister Osei Balogun Ahmed
Gallagher Sandhu Whitworth Achterberg Kaur Drummond Nwosu Ferreira Lindqvist Abara Rahman
Henderson Iqbal Walsh Oyelaran MacLeod Szymański Greenhalgh""".split()
TITLES = ["Dr", "Mrs", "Mr", "Ms", "Miss", "Nurse"]
TOWNS = """Harrogate Rotherham Wolverhampton Bristol Leeds Oldham Swindon Carlisle Luton Exeter
Barnsley Gateshead Wakefield Northampton Stockport Blackburn Ipswich Salford Wigan Hull
Sunderland Croydon Bolton Preston Derby Lincoln Norwich Gloucester Doncaster Huddersfield""".split()
STREETS = """Mill Lane|Station Road|Church Street|Victoria Avenue|Orchard Close|Elm Grove|Park Drive
|Clarendon Road|Beech Crescent|Albert Terrace|Meadow Way|Hollins Lane|Wellington Street
|Rosemary Gardens|Carr Lane""".replace("\n", "").split("|")
PRACTICES = """Riverside Surgery|Oakwood Medical Centre|Millbrook Health Centre|Castle Street
Surgery|The Grange Medical Practice|Fernlea Surgery|Hillside Family Practice|Brookvale Health
Centre|Northgate Medical Centre|Westfield Surgery""".replace("\n", " ").split("|")
ORGS = """Harrogate Carers Centre|Age UK Oldham|Boots|Mind in Salford|Citizens Advice Wigan
|Lloyds Pharmacy|St Luke's Hospice|Rotherham General Hospital|Derby City Council
|Leeds Teaching Hospitals""".replace("\n", "").split("|")
MONTHS = "January February March April June July August September October November December"
MONTHS_L = MONTHS.split()


def nhs(rng: random.Random, valid: bool = True) -> str:
    while True:
        d = [rng.randint(0, 9) for _ in range(9)]
        c = 11 - sum(x * w for x, w in zip(d, range(10, 1, -1), strict=True)) % 11
        c = 0 if c == 11 else c
        if c == 10:
            continue
        if not valid:
            c = (c + rng.randint(1, 9)) % 10
        s = "".join(map(str, d)) + str(c)
        return rng.choice([f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]}-{s[3:6]}-{s[6:]}"])


def phone(rng: random.Random) -> str:
    mobile = f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
    land = f"01{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    london = f"020 {rng.randint(7000, 8999)} {rng.randint(1000, 9999)}"
    intl = f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
    paren = f"({'01' + str(rng.randint(100, 999))}) {rng.randint(100000, 999999)}"
    return rng.choice([mobile, mobile, land, london, intl, paren])


def postcode(rng: random.Random) -> str:
    area = rng.choice(["LS", "HG", "S", "M", "OL", "BS", "SN", "CA", "EX", "WV", "NE", "B", "L"])
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    inward = f"{rng.randint(0, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    return f"{area}{rng.randint(1, 29)} {inward}"


def email(rng: random.Random, first: str, last: str) -> str:
    dom = rng.choice(["example.org", "example.co.uk", "mail.example.com", "nhs.example.net"])
    user = rng.choice(
        [f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}", f"{last}_{first}"]
    )
    return f"{user.lower()}@{dom}"


def dob(rng: random.Random) -> str:
    y, m, d = rng.randint(1930, 1999), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{d:02d}/{m:02d}/{y}",
            f"{d} {MONTHS_L[m % 11]} {y}",
            f"{MONTHS_L[m % 11]} {d}, {y}",
            f"the {d}th of {MONTHS_L[m % 11]} {y}",
        ]
    )


@dataclass
class People:
    rng: random.Random

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST), self.rng.choice(LAST)


def P(kind: str, text: str) -> str:
    return f"[[{kind}|{text}]]"


def L(text: str) -> str:
    return "{{" + text + "}}"


LOOKALIKES = [
    f"I had my {L('May')} review, it was fine.",
    f"We went in {L('May')} and again in {L('June')}.",
    f"{L('Bath')} time is the hardest bit of the day for him.",
    f"I take the {L('Victoria line')} to the hospital.",
    f"{L('the Trust')} changed the letters last year.",
    f"I don't trust {L('the Trust')}, to be honest.",
    f"{L('Northern line')} was shut so I was late.",
    f"The {L('NHS App')} kept logging me out.",
    f"{L('Christmas')} is when the surgery gets busy.",
    f"My {L('Mum')} can't use the app at all.",
    f"{L('Grace')} period, they call it, for the prescription.",
    f"{L('Patient Access')} was the first app they told us about.",
]


def carer(rng: random.Random, i: int) -> str:
    """A carer interview, verbatim style: fillers, false starts, 'Interviewer:' / 'P07:'."""
    f1, l1 = People(rng).person()
    f2, _ = People(rng).person()
    gp = rng.choice(LAST)
    rec_f, _ = People(rng).person()
    town, street, prac = rng.choice(TOWNS), rng.choice(STREETS), rng.choice(PRACTICES)
    label = f"P{i:02d}"
    lines = [
        "Interviewer: Could you start by telling me who you look after?",
        f"{label}: Erm, yeah, my mum, {P('person', f'{f1} {l1}')}. She was born on "
        f"{P('date_of_birth', dob(rng))}, so she's getting on now.",
        "Interviewer: And where do you both live?",
        f"{label}: We're at {rng.randint(1, 90)} {P('place', street)}, {P('place', town)}, "
        f"{P('postcode', postcode(rng))}. Been there, what, thirty years.",
        "Interviewer: Which practice are you with?",
        f"{label}: {P('organisation', prac)}. {P('person', f'Dr {gp}')} is her doctor, "
        f"he's, um, he's alright. The receptionist, {P('person', f'{rec_f}')}, she showed "
        f"me the app. {rng.choice(LOOKALIKES)}",
        "Interviewer: How did the registration go?",
        f"{label}: Her NHS number is {P('nhs_number', nhs(rng))} and it, it kept saying it "
        f"didn't match. I rang on {P('phone', phone(rng))}, waited forty minutes.",
        f"{label}: In the end I sent it to {P('email', email(rng, f1, l1))} so I had it. "
        f"My brother {P('person', f2)} rings from {P('place', rng.choice(TOWNS))} on "
        f"{P('phone', phone(rng))} to check on her. {rng.choice(LOOKALIKES)}",
        f"Interviewer: Has {P('person', f1)} tried the app herself?",
        f"{label}: No, {P('person', f1)} won't touch it. {P('person', f'Mrs {l1}')} they "
        f"call her at the surgery, very formal. {rng.choice(LOOKALIKES)}",
    ]
    return "\n\n".join(lines) + "\n"


def staff(rng: random.Random, i: int) -> str:
    """A staff interview, named speaker labels ('Dr Patel:'), fuller sentences."""
    doc_l = rng.choice(LAST)
    pm_f, pm_l = People(rng).person()
    prac, org = rng.choice(PRACTICES), rng.choice(ORGS)
    speaker = f"Dr {doc_l}"
    lines = [
        "Interviewer: Thanks for making time. What's your role here?",
        f"{P('person', speaker)}: I'm one of the partners at {P('organisation', prac)}. Our "
        f"practice manager, {P('person', f'{pm_f} {pm_l}')}, leads on the online side.",
        "Interviewer: Who helps patients with the app day to day?",
        f"{P('person', speaker)}: Honestly it falls on reception. {P('person', pm_f)} set up a "
        f"rota, and we refer some people to {P('organisation', org)}. {rng.choice(LOOKALIKES)}",
        "Interviewer: Do patients contact you directly?",
        f"{P('person', speaker)}: Some e-mail {P('email', email(rng, pm_f, pm_l))}, which they "
        f"shouldn't, or ring the bypass, {P('phone', phone(rng))}. We moved from "
        f"{P('place', rng.choice(STREETS))} to the new building in {P('place', rng.choice(TOWNS))}. "
        f"{rng.choice(LOOKALIKES)}",
        "Interviewer: Anything else?",
        f"{P('person', speaker)}: {P('person', f'Mr {rng.choice(LAST)}')}, an older patient, "
        f"told me his NHS number, {P('nhs_number', nhs(rng))}, by heart. The check once failed "
        f"on {L(nhs(rng, valid=False))}, a typo on our form. {rng.choice(LOOKALIKES)}",
    ]
    return "\n\n".join(lines) + "\n"


def field_notes(rng: random.Random, i: int) -> str:
    """Observation notes: dated entries, third person, abbreviations."""
    f1, l1 = People(rng).person()
    f2, l2 = People(rng).person()
    prac = rng.choice(PRACTICES)
    day = rng.randint(1, 28)
    lines = [
        f"{day} {rng.choice(MONTHS_L)} 2023",
        f"Arrived at {P('organisation', prac)} 8.15am. Receptionist {P('person', f'{f1} {l1}')} "
        f"on the front desk; {P('person', f1)} fielded eleven calls before nine. A man gave "
        f"his postcode ({P('postcode', postcode(rng))}) and date of birth "
        f"({P('date_of_birth', dob(rng))}) over the counter in full hearing of the queue.",
        f"{day + 1} {rng.choice(MONTHS_L)} 2023",
        f"{P('person', f'Nurse {l2}')} showed a patient the app on her own phone. Leaflet on the "
        f"board lists {P('phone', phone(rng))} and {P('email', email(rng, f2, l2))} for help. "
        f"Patient from {P('place', rng.choice(TOWNS))} said her daughter {P('person', f2)} "
        f"usually does it. {rng.choice(LOOKALIKES)} {rng.choice(LOOKALIKES)}",
        f"Notes: NHS no. {P('nhs_number', nhs(rng))} read aloud at the desk (observed, not "
        f"recorded elsewhere). {P('person', f'{f2} {l2}')} arrived to collect her.",
    ]
    return "\n\n".join(lines) + "\n"


def stakeholder(rng: random.Random, i: int) -> str:
    """A stakeholder interview, formal, long answers, organisations and places."""
    f1, l1 = People(rng).person()
    town = rng.choice(TOWNS)
    lines = [
        "Interviewer: How does your organisation support practices?",
        f"Respondent: I lead the digital team for {P('organisation', rng.choice(ORGS))}. We "
        f"work with twelve practices across {P('place', town)}, including "
        f"{P('organisation', rng.choice(PRACTICES))}. My colleague {P('person', f'{f1} {l1}')} "
        f"runs the training. {rng.choice(LOOKALIKES)}",
        "Interviewer: Who should people contact?",
        f"Respondent: {P('person', f'{f1}')}, on {P('phone', phone(rng))} or "
        f"{P('email', email(rng, f1, l1))}. Our office is on {P('place', rng.choice(STREETS))}, "
        f"{P('postcode', postcode(rng))}. {rng.choice(LOOKALIKES)}",
    ]
    return "\n\n".join(lines) + "\n"


STYLES = {"carer": carer, "staff": staff, "fieldnotes": field_notes, "stakeholder": stakeholder}
_MARK = re.compile(r"\[\[(?P<kind>[a-z_]+)\|(?P<text>[^\]]+)\]\]|\{\{(?P<ord>[^}]+)\}\}")


def documents(seed: int = 14, per_style: int = 8) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    docs = []
    for style, make in STYLES.items():
        for i in range(1, per_style + 1):
            docs.append((f"{style}_{i:02d}", make(rng, i)))
    return docs


def parse(markup: str) -> tuple[str, list[tuple[int, int, str]], list[tuple[int, int]]]:
    """Plain text, planted (start, end, kind) spans and ordinary (start, end) spans."""
    out, gold, ordinary, pos, length = [], [], [], 0, 0
    for m in _MARK.finditer(markup):
        out.append(markup[pos : m.start()])
        length += m.start() - pos
        text = m.group("text") or m.group("ord")
        (
            gold.append((length, length + len(text), m.group("kind")))
            if m.group("kind")
            else ordinary.append((length, length + len(text)))
        )
        out.append(text)
        length += len(text)
        pos = m.end()
    out.append(markup[pos:])
    return "".join(out), gold, ordinary
