"""Safe Harbor de-identification (45 CFR 164.514(b)(2)) of structured values and free text.

The eighteen identifiers and where each is handled:

 1 names                     known names (the patient's, every staff member's and clinician's),
                             titled or labelled names, and names found by recognizers.py (a
                             named-entity model and context rules) -> [NAME]; never exported as fields
 2 geography below a state   street addresses (any language), cities and towns (known, gazetteer,
                             model), facilities -> [ADDRESS]/[CITY]/[FACILITY]; ZIP -> first three
                             digits, or 000 for the restricted three-digit areas (fewer than 20,000 people)
 3 dates (not the year)      -> the year, or (option) shifted by a per-patient number of days;
                             ages over 89 -> 90+ (and birth years that would reveal them are dropped)
 4-5 phone and fax numbers   -> [PHONE]
 6 e-mail addresses          -> [EMAIL]
 7 SSN                       -> [SSN]
 8-13 MRN, health plan, account, certificate/licence, vehicle, device numbers -> [ID]
                             (labelled numbers, VINs, and any long number or letter-digit code)
 14-15 URLs, IP addresses    -> [URL], [IP]
 16-17 biometrics, full-face photographs: the export carries text only, never files or images
 18 any other unique code    -> [ID] (long digit runs and mixed letter-digit codes)

Text scrubbing errs on the side of removal: a lab accession number that looks like an identifier is
removed too. The benchmark (bench/disclosures.py) measures what survives on planted identifiers and
on notes written elsewhere (bench/deid_external.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from chartdesk.disclosures.deid import recognizers

# Three-digit ZIP areas with 20,000 or fewer people (Census 2000), which Safe Harbor turns into 000.
RESTRICTED_ZIP3 = frozenset({
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890",
    "893",
})
STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR"
).split()
MONTHS = ("january february march april may june july august september october november december").split()
MONTH_PATTERN = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                 r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")


def zip3(postal_code: str) -> str:
    """The first three digits of a ZIP code, or 000 for a restricted area or anything unreadable."""
    digits = re.sub(r"\D", "", postal_code or "")
    if len(digits) < 5:
        return "000"
    prefix = digits[:3]
    return "000" if prefix in RESTRICTED_ZIP3 else prefix


def age_band(age: int) -> str:
    """Ages over 89 become 90+ (164.514(b)(2)(i)(C))."""
    return "90+" if age > 89 else str(age)


@dataclass(frozen=True)
class DatePolicy:
    """Dates become the year (Safe Harbor), or shift by a fixed number of days per patient (an option
    that keeps intervals; on its own it is not Safe Harbor, see docs/disclosures.md)."""

    mode: str = "year"  # "year" or "shift"
    shift_days: int = 0

    def show(self, day: date | None) -> str:
        if day is None:
            return ""
        if self.mode == "shift":
            return (day + timedelta(days=self.shift_days)).isoformat()
        return str(day.year)


# ----------------------------------------------------------------------------- free text

URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io|"
                 r"info|biz|us|health)(?:/[^\s<>\"']*)?", re.IGNORECASE)
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
IPV4 = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
IPV6 = re.compile(r"\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4})?\b",
                  re.IGNORECASE)
SSN = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b|(?i:\b(?:ssn|social security(?: number| no\.?)?)\s*[:#]?\s*)\d{9}\b")
PHONE = re.compile(r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?:\s*(?:x"
                   r"|ext\.?)\s*\d{1,5})?"
                   r"(?![\w/-])", re.IGNORECASE)
LABELLED_PHONE = re.compile(r"(?i:\b(?:phone|tel|telephone|fax|cell|mobile|pager)\b\.?\s*(?:no\.?|number"
                            r"|#)?\s*[:#]?\s*)"
                            r"(\+?\d[\d\s().-]{6,}\d)")
# Pagers and beepers have short numbers of their own ("Pager #54321", "PG 33445").
PAGER = re.compile(r"(?i:\b(?:pager|beeper|pg|bpr)\b\.?\s*(?:no\.?|number)?[\s:#]*)(\d{4,6})(?![\d/-]|\.\d)")
ID_LABEL = (r"(?:mrn|medical record(?: number| no\.?| #)?|med rec(?: no\.?)?|account(?: number| no\.?| #)?"
            r"|acct\.?(?: no\.?)?"
            r"|member(?: id| number| no\.?)?|subscriber(?: id| number)?|policy(?: number| no\.?| #)?"
            r"|health plan(?: id| number| no\.?)?|plan(?: id| number| no\.?)|group(?: number| no\.?| #)"
            r"|medicaid(?: id| no\.?)?"
            r"|medicare(?: id| number| no\.?)?|mbi|licen[cs]e(?: number| no\.?| #)?|dl"
            r"|driver'?s licen[cs]e(?: number| no\.?)?"
            r"|certificate(?: number| no\.?| #)?|dea(?: number| no\.?)?|npi|passport(?: number| no\.?)?|vin"
            r"|vehicle(?: id| identification number)?|licen[cs]e plate|plate(?: number| no\.?)?|serial(?: number"
            r"| no\.?| #)?"
            r"|device(?: id| serial)?|udi|implant(?: id| serial)?|badge(?: number| no\.?)?|claim(?: number| no\.?| #)?"
            r"|invoice(?: number| no\.?)?|case(?: number| no\.?)|id(?: number| no\.?)?)")
LABELLED_ID = re.compile(rf"(?i:\b{ID_LABEL}\s*[:#]?\s*(?:is\s+)?)(?=[A-Z0-9-]*\d)([A-Z0-9][A-Z0-9-]{{2,}}[A-Z0-9])",
                         re.IGNORECASE)
VIN = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b")
# Seven digits or more, not a date, not a range ("120-140"), not part of a decimal or slashed series
# ("ABG 7.38-33-169", "BP 100-120/60"): those are clinical values.
LONG_NUMBER = re.compile(r"(?<![\d./-])(?!\d{4}-\d{2}-\d{2}\b)(?!\d{1,4}-\d{1,4}(?![\d-]))(?=(?:\d-?){7})"
                         r"\d[\d-]{5,}\d(?![\d/-]|\.\d)")
MIXED_CODE = re.compile(r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)*\b")
STREET = re.compile(
    # Title Case words: in an all-capitals note "3-5 BEAT RUNS VT. DR. POWELL" is not an address.
    r"(?<![\d/.-])\b\d{1,6}\s+(?:[A-Z][a-z][A-Za-z]*\.?\s+|\d+(?:st|nd|rd|th)\s+){1,4}(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|"
    r"ct|way|place|pl|terrace|ter|circle|cir|highway|hwy|parkway|pkwy|square|sq|trail|trl)\b\.?"
    r"(?:,?\s*(?i:apt|apartment|suite|ste|unit|#)\.?\s*[A-Z0-9-]+)?"
)
PO_BOX = re.compile(r"\bP\.?\s*O\.?\s*Box\s+\d+\b", re.IGNORECASE)
STATE_NAMES = "|".join(STATES)
CITY_STATE_ZIP = re.compile(rf"\b(?:[A-Z][a-z]+\s){{0,2}}[A-Z][a-z]+,\s*(?:{STATE_NAMES})\.?\s+(\d{{5}})"
                            r"(?:-\d{4})?\b")
STATE_ZIP = re.compile(rf"\b(?:{STATE_NAMES})\.?\s+(\d{{5}})(?:-\d{{4}})?\b")
LABELLED_ZIP = re.compile(r"(?i:\b(?:zip|zip code|postal code)\s*[:#]?\s*)(\d{5})(?:-\d{4})?\b")
ZIP_PLUS4 = re.compile(r"\b(\d{5})-\d{4}\b")
# Abbreviated titles in any case ("DR. SMITH" in an all-capitals note); word titles only capitalised.
TITLED_NAME = re.compile(r"\b((?i:dr|mr|mrs|ms|mx|prof|rev)|Miss|Nurse|Sister|Brother|Father)\.?\s+"
                         r"((?:[A-Z]\.\s*)?[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?)")
LABELLED_NAME = re.compile(r"(?i:\b(?:patient|name|patient name|pt|mother|father|wife|husband|son|daughter|sister"
                           r"|brother|"
                           r"spouse|guardian|emergency contact|contact|signed by|seen by|attending|physician|nurse)\s*"
                           r"(?:name)?\s*[:=-]\s*)([A-Z][a-zA-Z'-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-zA-Z'-]+)?)")
RELATIVE_NAME = re.compile(r"(?i:\b(?:mother|father|mom|dad|wife|husband|son|daughter|sister|brother|spouse|partner|"
                           r"friend|neighbou?r|grandson|granddaughter|grandmother|grandfather|niece|nephew|aunt|uncle|"
                           r"cousin|caregiver|roommate|boyfriend|girlfriend)),?\s+([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)")
NAME_SUFFIX_PHRASE = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+(?=,?\s+(?:MD|DO|RN|NP|PA-C|PA|LPN|PhD)\b)")
AGE_OVER_89 = re.compile(
    r"\b(9\d|1[0-4]\d)(?=(?:\s*|-)(?:years?|yrs?|y/?o|yo)\b(?:[\s-]*old)?)|"
    r"(?i:\b(?:age|aged)\s*:?\s*)(9\d|1[0-4]\d)\b",
    re.IGNORECASE,
)
# The same separator twice, and not inside a longer slashed or decimal series ("ABG 42/7.36/25",
# "vent 16/5/40%").
NUMERIC_DATE = re.compile(r"(?<![\d/.])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/%]|\.\d)")
# Month/day without a year ("7/22"), outside scores, fractions and pressures ("pain 7/10", "1/2 NS").
BARE_MONTH_DAY = re.compile(r"(?<![\w/.+-])(?<!\d\s)((?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\w/%+]|\.\d)")
NOT_A_DATE_BEFORE = re.compile(r"(?i:\b(?:pain|score|scale|gcs|strength|motor|power|rated|ratio|i:e|bp|b/p|abp|peep|ps|"
                               r"cpap|bipap|psv|ac|imv|simv|vent|settings?|abg|gas|rate|x|apgars?)\W{0,3}$)")
NOT_A_DATE_AFTER = re.compile(r"(?i:^\s*(?:strength|power|pulses?|tabs?|tablets?|ns|normal saline|mmhg|cm|mm|%|x\b|"
                              r"pain|scale|l\b|lpm|ps|peep))")
FRACTIONS = frozenset({"1/2", "1/3", "2/3", "1/4", "3/4", "1/8", "3/8", "5/8", "7/8", "1/5", "2/5", "3/5", "4/5",
                       "5/5", "4/4", "3/3", "2/2", "1/1", "0/5", "1/6", "1/10", "2/10", "3/10", "4/10", "5/10", "6/10",
                       "7/10", "8/10", "9/10", "10/10"})
ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\b")
WRITTEN_DATE = re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?)?({MONTH_PATTERN})(?:\s+(\d{{1,2}})(?:st|nd|rd"
    rf"|th)?)?,?\s+(\d{{4}})\b",
    re.IGNORECASE,
)
MONTH_DAY = re.compile(rf"\b({MONTH_PATTERN})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d{{4}})", re.IGNORECASE)
DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_PATTERN})\b(?!,?\s*\d{{4}})", re.IGNORECASE)
# A birth date, even reduced to its year, can reveal an age over 89; it goes altogether.
BIRTH_DATE = re.compile(r"(?i:\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on| in)?)\s*[:#]?\s*)"
                        r"(\d{4}(?:-\d{2}-\d{2})?|\[DATE\])")
SHORT_NUMERIC_DATE = re.compile(r"(?i:\b(?:on|since|dated|from|until|to|by|seen|visit|admitted|discharged)\s+)"
                                r"((?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\d/])")


def _month_number(text: str) -> int:
    key = text.lower().rstrip(".")[:3]
    return [month[:3] for month in MONTHS].index(key) + 1


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _full_year(year: str) -> int:
    value = int(year)
    if len(year) == 2:
        return 2000 + value if value <= 30 else 1900 + value
    return value


@dataclass
class TextScrubber:
    """Removes identifiers from free text. `known_names` are the names the system knows (patient,
    staff, clinicians); `cities` the cities of the patient's addresses."""

    known_names: Iterable[str] = ()
    cities: Iterable[str] = ()
    dates: DatePolicy = field(default_factory=DatePolicy)
    known_values: Iterable[str] = ()  # the patient's own MRN, phone numbers, member IDs..., in any spacing

    def __post_init__(self) -> None:
        words = sorted({name.strip() for name in self.known_names if len(name.strip()) >= 2}, key=len, reverse=True)
        self._names = (re.compile(r"(?<![\w])(?:" + "|".join(re.escape(word) for word in words) + r")(?![\w])",
                                  re.IGNORECASE) if words else None)
        values = sorted({re.sub(r"[\s().-]", "", value) for value in self.known_values
                         if len(re.sub(r"[\s().-]", "", value)) >= 4}, key=len, reverse=True)
        # Each known value matches whatever separators the writer put between its characters.
        self._values = (re.compile("|".join(r"[\s().-]?".join(re.escape(char) for char in value) for value in values),
                                   re.IGNORECASE) if values else None)
        places = sorted({city.strip() for city in self.cities if len(city.strip()) >= 3}, key=len, reverse=True)
        self._cities = (re.compile(r"\b(?:" + "|".join(re.escape(city) for city in places) + r")\b", re.IGNORECASE)
                        if places else None)

    def _date(self, year: int, month: int, day: int, original: str) -> str:
        try:
            return self.dates.show(date(year, month, day))
        except ValueError:
            return str(year) if 1800 < year < 2200 else "[DATE]"

    def _numeric(self, match: re.Match[str]) -> str:
        first, second, year = int(match.group(1)), int(match.group(3)), _full_year(match.group(4))
        month, day = (first, second) if first <= 12 else (second, first)
        if len(match.group(4)) == 2 and not _valid(year, month, day):
            return match.group(0)  # "11/31/45" is a series of values, not a date
        return self._date(year, month, day, match.group(0))

    def _bare_month_day(self, match: re.Match[str]) -> str:
        before = match.string[max(0, match.start() - 20):match.start()]
        after = match.string[match.end():match.end() + 15]
        if match.group(1) in FRACTIONS or NOT_A_DATE_BEFORE.search(before) or NOT_A_DATE_AFTER.match(after):
            return match.group(0)
        return "[DATE]"

    def _iso(self, match: re.Match[str]) -> str:
        return self._date(int(match.group(1)), int(match.group(2)), int(match.group(3)), match.group(0))

    def _written(self, match: re.Match[str]) -> str:
        day = match.group(1) or match.group(3)
        year = int(match.group(4))
        if day is None:
            return str(year) if self.dates.mode == "year" else self._date(year, _month_number(match.group(2)), 1, "")
        return self._date(year, _month_number(match.group(2)), int(day), match.group(0))

    def _zip(self, match: re.Match[str]) -> str:
        whole, code = match.group(0), match.group(1)
        return whole[: match.start(1) - match.start(0)] + zip3(code)

    def scrub(self, text: str) -> str:
        """The text with every identifier this module recognises replaced."""
        if self._values is not None:
            text = self._values.sub("[ID]", text)
        text = URL.sub("[URL]", EMAIL.sub("[EMAIL]", text))
        text = IPV6.sub("[IP]", IPV4.sub("[IP]", text))
        text = SSN.sub("[SSN]", text)
        text = LABELLED_PHONE.sub(lambda m: _keep_label(m, "[PHONE]"), text)
        text = PHONE.sub("[PHONE]", text)
        text = PAGER.sub(lambda m: _keep_label(m, "[PHONE]"), text)
        text = LABELLED_ID.sub(lambda m: _keep_label(m, "[ID]"), text)
        text = VIN.sub(lambda m: "[ID]" if re.search(r"\d", m.group(0)) and re.search(r"[A-Z]", m.group(0))
                       else m.group(0), text)
        text = STREET.sub("[ADDRESS]", PO_BOX.sub("[ADDRESS]", text))
        text = CITY_STATE_ZIP.sub(lambda m: "[CITY], " + _state_of(m.group(0)) + " " + zip3(m.group(1)), text)
        text = STATE_ZIP.sub(lambda m: _state_of(m.group(0)) + " " + zip3(m.group(1)), text)
        text = LABELLED_ZIP.sub(self._zip, text)
        text = ZIP_PLUS4.sub(lambda m: zip3(m.group(1)), text)
        text = ISO_DATE.sub(self._iso, text)
        text = NUMERIC_DATE.sub(self._numeric, text)
        text = WRITTEN_DATE.sub(self._written, text)
        text = MONTH_DAY.sub("[DATE]", text)
        text = DAY_MONTH.sub("[DATE]", text)
        text = SHORT_NUMERIC_DATE.sub(lambda m: _keep_label(m, "[DATE]"), text)
        text = BARE_MONTH_DAY.sub(self._bare_month_day, text)
        text = BIRTH_DATE.sub(lambda m: _keep_label(m, "[DATE]"), text)
        text = AGE_OVER_89.sub(lambda m: _keep_label(m, "90+", group=2 if m.group(2) else 1), text)
        text = LONG_NUMBER.sub("[ID]", text)
        text = MIXED_CODE.sub(lambda m: "[ID]" if len(m.group(0)) >= 6 else m.group(0), text)
        return recognizers.replace(text, recognizers.find(text, self._known_spans(text)))

    def _known_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Names announced by a title or label, and the names and cities the system knows."""
        spans = [(match.start(2), match.end(2), recognizers.NAME_TAG) for match in TITLED_NAME.finditer(text)]
        for pattern in (LABELLED_NAME, RELATIVE_NAME):
            spans += [(match.start(1), match.end(1), recognizers.NAME_TAG) for match in pattern.finditer(text)]
        spans += [(match.start(), match.end(), recognizers.NAME_TAG) for match in NAME_SUFFIX_PHRASE.finditer(text)]
        if self._names is not None:
            spans += [(match.start(), match.end(), recognizers.NAME_TAG) for match in self._names.finditer(text)]
        if self._cities is not None:
            spans += [(match.start(), match.end(), recognizers.PLACE_TAG) for match in self._cities.finditer(text)]
        return spans
        return text


def _keep_label(match: re.Match[str], replacement: str, group: int = 1) -> str:
    """Keep the label before the identifier ('MRN: ') and replace the identifier (the group) itself."""
    whole = match.group(0)
    return whole[: match.start(group) - match.start(0)] + replacement + whole[match.end(group) - match.start(0):]


def _state_of(text: str) -> str:
    found = re.search(rf"\b({'|'.join(STATES)})\b", text)
    return found.group(1) if found else ""
