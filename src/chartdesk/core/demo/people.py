"""Synthetic people: names of many origins, addresses, phones and the numbers payers give them.

All of it is made up. Phone numbers use the 555-01xx block set aside for fiction, e-mail addresses
use example.com/.org/.net, and member IDs only follow each payer's usual shape.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

from chartdesk.core.npi import npi_check_digit


@dataclass(frozen=True)
class Origin:
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    languages: tuple[str, ...] = ("English",)  # the first is the most likely; others now and then


ORIGINS: tuple[Origin, ...] = (
    Origin(
        ("Mary", "Elizabeth", "Jennifer", "Linda", "Susan", "Margaret", "Sarah", "Katherine", "Emily", "Hannah"),
        ("James", "William", "Robert", "John", "Michael", "Thomas", "Richard", "Charles", "Daniel", "Joseph"),
        ("Smith", "Johnson", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thompson", "Moore", "Clark",
         "Walker", "Hall", "Young", "Allen", "Wright", "Baker", "Campbell", "Mitchell", "Carter", "Parker"),
    ),
    Origin(
        ("Aaliyah", "Keisha", "Tamika", "Imani", "Latoya", "Jasmine", "Ebony", "Destiny"),
        ("DeShawn", "Jamal", "Tyrone", "Malik", "Darnell", "Terrence", "Andre", "Marcus"),
        ("Washington", "Jefferson", "Jackson", "Robinson", "Harris", "Brooks", "Coleman", "Bryant", "Freeman"),
    ),
    Origin(
        ("María", "Guadalupe", "Lucía", "Sofía", "Carmen", "Rosa", "Ana", "Isabel", "Valentina", "Ximena"),
        ("José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Alejandro", "Francisco", "Diego", "Javier"),
        ("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez",
         "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Morales", "Ortiz"),
        ("English", "Spanish", "Spanish"),
    ),
    Origin(
        ("Mei", "Xiu Ying", "Li Na", "Jing", "Hui", "Yan"),
        ("Wei", "Jian", "Hao", "Zhi Wei", "Jun", "Ming"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou"),
        ("English", "Mandarin", "Cantonese"),
    ),
    Origin(
        ("Linh", "Thao", "Huong", "Mai", "Ngoc Anh"),
        ("Minh", "Tuan", "Duc", "Quang", "Bao"),
        ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang"),
        ("English", "Vietnamese"),
    ),
    Origin(
        ("Priya", "Ananya", "Lakshmi", "Deepika", "Kavya", "Sunita"),
        ("Rajesh", "Arjun", "Vikram", "Sanjay", "Rahul", "Anil"),
        ("Patel", "Sharma", "Singh", "Reddy", "Iyer", "Gupta", "Desai", "Mehta", "Krishnan"),
        ("English", "Hindi", "Gujarati"),
    ),
    Origin(
        ("Fatima", "Aisha", "Layla", "Mariam", "Noor", "Yasmin"),
        ("Mohammed", "Ahmed", "Omar", "Ali", "Hassan", "Khalid", "Youssef"),
        ("Haddad", "Khoury", "Al-Sayed", "Mansour", "Nasser", "Saleh", "Farouk"),
        ("English", "Arabic"),
    ),
    Origin(
        ("Chiamaka", "Ngozi", "Adaeze", "Folasade", "Oluwaseun", "Amara"),
        ("Chinedu", "Oluwadamilare", "Emeka", "Babatunde", "Kwame", "Obinna"),
        ("Okafor", "Adeyemi", "Okonkwo", "Mensah", "Eze", "Balogun", "Nwosu"),
    ),
    Origin(
        ("Agnieszka", "Katarzyna", "Małgorzata", "Natalia", "Olga", "Svetlana", "Irina"),
        ("Piotr", "Tomasz", "Krzysztof", "Dmitri", "Sergei", "Aleksandr"),
        ("Kowalski", "Nowak", "Wiśniewski", "Zieliński", "Ivanov", "Petrov", "Smirnov", "Volkov"),
        ("English", "Polish", "Russian"),
    ),
    Origin(
        ("Siobhan", "Aoife", "Maeve", "Giulia", "Francesca", "Chiara"),
        ("Sean", "Patrick", "Declan", "Giuseppe", "Marco", "Antonio"),
        ("O'Brien", "Murphy", "Kelly", "O'Connor", "Russo", "Romano", "Esposito", "Bianchi", "Ricci"),
    ),
    Origin(
        ("Ji-woo", "Seo-yeon", "Min-ji", "Yuki", "Haruka", "Sakura"),
        ("Min-jun", "Ji-ho", "Seung-hoon", "Hiroshi", "Kenji", "Takeshi"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Tanaka", "Suzuki", "Watanabe", "Yamamoto"),
        ("English", "Korean", "Japanese"),
    ),
    Origin(
        ("Maricel", "Rowena", "Jocelyn", "Analyn"),
        ("Rodrigo", "Jerome", "Ramon", "Rogelio"),
        ("Santos", "Reyes", "Cruz", "Bautista", "Villanueva", "Mendoza", "Dela Cruz"),
        ("English", "Tagalog"),
    ),
)

# How often each origin is drawn, roughly the mix of a large US city's patient population.
ORIGIN_WEIGHTS = (30, 13, 18, 5, 3, 5, 4, 4, 5, 6, 4, 3)

MIDDLE_NAMES_FEMALE = ("Ann", "Marie", "Lynn", "Rose", "Jean", "Grace", "Louise", "Mae", "Elena", "Joy")
MIDDLE_NAMES_MALE = ("Lee", "Allen", "James", "Edward", "Ray", "Wayne", "Paul", "Alan", "Jose", "Dean")

# Nicknames people register under; used to plant "same person, registered by nickname" duplicates.
NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Richard": "Dick", "James": "Jim", "Michael": "Mike",
    "Thomas": "Tom", "Charles": "Chuck", "Daniel": "Dan", "Joseph": "Joe", "John": "Jack",
    "Elizabeth": "Liz", "Margaret": "Peggy", "Katherine": "Kate", "Jennifer": "Jen", "Susan": "Sue",
    "Patrick": "Pat", "Alejandro": "Alex", "Francisco": "Paco", "José": "Pepe", "Aleksandr": "Sasha",
}

CITIES = (
    # city, state, ZIP, telephone area code
    ("Springfield", "IL", "62704", "217"), ("Chicago", "IL", "60614", "312"), ("Chicago", "IL", "60647", "773"),
    ("Evanston", "IL", "60201", "847"), ("Oak Park", "IL", "60302", "708"), ("Naperville", "IL", "60540", "630"),
    ("Milwaukee", "WI", "53212", "414"), ("Madison", "WI", "53703", "608"), ("Gary", "IN", "46402", "219"),
    ("Indianapolis", "IN", "46202", "317"), ("St. Louis", "MO", "63110", "314"), ("Peoria", "IL", "61602", "309"),
    ("Rockford", "IL", "61104", "815"), ("Joliet", "IL", "60435", "815"), ("Aurora", "IL", "60505", "630"),
    ("Cicero", "IL", "60804", "708"), ("Skokie", "IL", "60076", "847"), ("Kenosha", "WI", "53140", "262"),
)

STREETS = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lincoln", "Lake", "Hill", "Park", "Walnut",
    "Pine", "Jefferson", "Madison", "Sheridan", "Halsted", "Ashland", "Division", "Cermak", "Kedzie",
    "Pulaski", "Western", "Damen", "Grand", "Prairie", "Cottage Grove", "Archer", "Milwaukee",
)
STREET_KINDS = ("St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Ct", "Pl")

PAYERS = (
    # issuer, member ID shape: "@" is drawn from A-Z, "#" is a digit, anything else stays as it is
    ("Blue Cross Blue Shield of Illinois", "@@@#########"),
    ("Aetna", "W#########"),
    ("UnitedHealthcare", "#########"),
    ("Cigna", "U########01"),
    ("Humana", "H########"),
)
MEDICAID = ("Illinois Medicaid", "###########")

# Characters an MBI may use: letters except S, L, O, I, B, Z (CMS MBI format specification).
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


def fake_phone(rng: random.Random, area_code: str) -> str:
    return f"{area_code}5550{rng.randrange(100, 200)}"


def member_id(rng: random.Random, shape: str) -> str:
    return "".join(
        rng.choice(string.digits) if char == "#" else rng.choice(string.ascii_uppercase) if char == "@" else char
        for char in shape
    )


def medicare_mbi(rng: random.Random) -> str:
    """An 11-character MBI in the CMS layout: C A AN N A AN N A A N N."""
    alnum = MBI_LETTERS + string.digits
    layout = (
        "123456789", MBI_LETTERS, alnum, string.digits, MBI_LETTERS, alnum,
        string.digits, MBI_LETTERS, MBI_LETTERS, string.digits, string.digits,
    )
    return "".join(rng.choice(choices) for choices in layout)


def fake_npi(rng: random.Random) -> str:
    first_nine = rng.choice("12") + "".join(rng.choice(string.digits) for _ in range(8))
    return first_nine + npi_check_digit(first_nine)


def birth_date_for_age(rng: random.Random, today: date, age: int) -> date:
    latest = today.replace(year=today.year - age) if not (today.month == 2 and today.day == 29) else today
    return latest - timedelta(days=rng.randrange(1, 365))


def draw_age(rng: random.Random) -> int:
    """Ages shaped like a hospital's patients: many older adults, some children."""
    band = rng.choices(((0, 17), (18, 39), (40, 64), (65, 79), (80, 97)), weights=(10, 22, 30, 24, 14))[0]
    return rng.randint(*band)


def transpose_typo(rng: random.Random, word: str) -> str:
    """Swap two neighbouring letters, the commonest keying error (Jonhson for Johnson)."""
    positions = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1] and word[i].isalpha()]
    if not positions:
        return word + word[-1]
    i = rng.choice(positions)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def ascii_fold(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum())
