"""Diagnostic statements the dictionary does not read, looked up as a coder would: through the
encoder's Alphabetic Index, Table of Neoplasms and Table of Drugs navigation, then the tabular list
(coding.encoder.search), with the injury's 7th character chosen from the note's wording.

Only the note's diagnostic statement is read this way (final, postoperative, principal, discharge
diagnoses, impression, assessment; the preoperative or admitting one when there is no final), one
item at a time: "1. Left carpal tunnel syndrome." or "Thrombosed arteriovenous shunt, left forearm".
The dictionary's mentions win: an item it already read (coded, negated or excluded) is not looked
up again. Each item's code still goes through the engine's rules (negation, uncertainty by setting,
history and family history), so "no evidence of ectopic pregnancy" stays uncoded.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Container
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the encoder needs Django's models; the dictionary engine alone does not
    from chartdesk.coding.encoder.index import CodeIndex, Node
    from chartdesk.coding.encoder.search import Hit

# An item names a diagnosis only when the encoder's best answer covers it well: an index path
# (score near 1) or most of the item's weight in a title. Below this, the item is left to the coder.
MIN_SCORE = 0.8
MIN_ITEM_WORDS = 2
SINGLE_WORD_LETTERS = 9  # "hypothermia" alone is a diagnosis; "social" or "language" is a heading
NEOPLASM_TABLE = "Table of Neoplasms"
SECONDARY_NEOPLASM = ("C77", "C78", "C79")
# A neoplasm-table answer needs a neoplasm named in the item: a polyp, a cyst or an uncertain
# etiology is not a neoplasm of uncertain behaviour.
NEOPLASM_WORDS = re.compile(r"\b(?:neoplasm|neoplastic|tumou?r|cancer|ca|carcinoma\w*|malignan\w*|mets|metasta\w*|"
                            r"sarcoma|lymphoma|melanoma|adenoma|myeloma|leuka?emia|blastoma|\w+oma|"
                            r"carcinoid|in situ)\b", re.IGNORECASE)
PATH_SCORE = 0.95  # further answers count only when the index or a table read the whole item
TABULAR_LIST = "Tabular List"
MAX_ITEM_WORDS = 14  # a sentence of the narrative, not a diagnosis line
ITEM_LEAD = re.compile(r"^[\s,;:.)(#*-]*(?:\d+[.)]|[a-z][.)]|[-*\u2022])?[\s,;:.)(-]*", re.IGNORECASE)
ITEM_TAIL = re.compile(r"[\s,;:.(-]+$")
ICD9_NOTE = re.compile(r"\(\s*(?:ICD-?9[^)]*|\d{3}(?:\.\d{1,2})?(?:\s*[,/]\s*\d{3}(?:\.\d{1,2})?)*)\s*\)",
                       re.IGNORECASE)
WORDS = re.compile(r"[^\W_]+")
# Encounter wording for the 7th character of injuries and poisonings (I.C.19.a): active treatment
# (A) unless the note says the injury is healing or followed up (D) or a late effect (S).
SUBSEQUENT = re.compile(r"\b(?:subsequent|follow[- ]?up|healing|routine (?:care|healing)|cast change|"
                        r"removal of (?:the )?(?:cast|sutures|staples))\b", re.IGNORECASE)
SEQUELA = re.compile(r"\b(?:sequela[e]?|late effects?|residual(?:s)? of|secondary to (?:an? )?(?:old|remote|prior))\b",
                     re.IGNORECASE)
# Degree, activity and extent words that name no index subterm of the condition they describe, and
# spinal levels ("at C5-C6", "L4-5"): dropped for a second look-up when the item as written matches
# nothing well. Acuity ("acute", "chronic") and recurrence are subterms and stay.
NONESSENTIAL = re.compile(r"\b(?:mild(?:ly)?|moderate(?:ly)?|severe(?:ly)?|minimal(?:ly)?|marked(?:ly)?|"
                          r"significant(?:ly)?|slight(?:ly)?|small|large|tiny|active|refractory|persistent|"
                          r"worsening|progressive|known|new|extensive|diffuse|improved|improving|stable|better|an?|the)\b|"
                          r"\b(?:at|of)?\s*[CTLS]\d{1,2}\s*(?:[-/]\s*[CTLS]?\d{1,2})?\b(?:\s*levels?)?",
                          re.IGNORECASE)
# Adjectives of site and the site the Index names under a condition ("Cellulitis, face").
SITE_NOUNS = {"facial": "face", "gastric": "stomach", "renal": "kidney", "hepatic": "liver", "pulmonary": "lung",
              "cardiac": "heart", "colonic": "colon", "cerebral": "brain", "ocular": "eye", "nasal": "nose",
              "oral": "mouth", "dental": "tooth", "abdominal": "abdomen", "pelvic": "pelvis", "vaginal": "vagina",
              "uterine": "uterus", "ovarian": "ovary", "esophageal": "esophagus", "duodenal": "duodenum",
              "rectal": "rectum", "anal": "anus", "vesical": "bladder", "splenic": "spleen", "pancreatic": "pancreas",
              "laryngeal": "larynx", "tracheal": "trachea", "bronchial": "bronchus", "mammary": "breast",
              "cutaneous": "skin", "labial": "lip", "lingual": "tongue", "palpebral": "eyelid", "scrotal": "scrotum",
              "penile": "penis", "testicular": "testis", "femoral": "thigh", "gluteal": "buttock", "digital": "finger",
              "plantar": "foot", "palmar": "hand", "axillary": "axilla", "inguinal": "groin", "sacral": "sacrum"}
SITE_ADJECTIVE = re.compile(r"\b(?:" + "|".join(SITE_NOUNS) + r")\b", re.IGNORECASE)
HISTORY_CATEGORIES = ("Z80", "Z81", "Z82", "Z83", "Z84", "Z85", "Z86", "Z87")
HISTORY_WORDS = re.compile(r"\b(?:history|hx|h/o|family|personal|status post|s/p|previous|prior|former|remote)\b",
                           re.IGNORECASE)
NOT_A_DIAGNOSIS = re.compile(r"^(?:same|none|see above|deferred|as above|normal|stable|negative|n/?a|"
                             r"the patient|he|she|this|we|i|please)\b", re.IGNORECASE)


def encoder_index(on: datetime.date | None = None) -> CodeIndex | None:
    """The encoder's index of the ICD-10-CM release in effect on the date (the current one without a
    date), or None when none is loaded: suggestions then come from the dictionary alone."""
    from chartdesk.coding.encoder.index import index_for
    from chartdesk.coding.encoder.search import release_for
    from chartdesk.coding.models import CodeSystem

    release = release_for(CodeSystem.ICD10CM, on)
    return index_for(release) if release is not None else None


@dataclass(frozen=True, slots=True)
class IndexedItem:
    code: str
    start: int  # the item's words in the note
    end: int
    via: str  # which part of the classification found it: an index part, a table, the tabular list


def item_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The words of one diagnostic item inside text[start:end], without numbering and trailing
    punctuation; None when nothing is left."""
    chunk = text[start:end]
    lead = ITEM_LEAD.match(chunk)
    first = start + (lead.end() if lead else 0)
    tail = ITEM_TAIL.search(text, first, end)
    last = tail.start() if tail else end
    if last <= first or not any(character.isalpha() for character in text[first:last]):
        return None
    return first, last


# A comma part this short with no condition of its own qualifies the part before it: "Thrombosed
# arteriovenous shunt, left forearm", "Cataract, right eye", "Appendicitis, nonperforated".
QUALIFIER_WORDS = 3


def items_of(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A diagnostic clause cut into its items at commas, each short qualifier kept with the part it
    qualifies: "Sigmoid diverticulosis, internal hemorrhoids" is two items."""
    parts: list[list[int]] = []
    cursor = start
    for comma in [match.start() for match in re.finditer(r",", text[start:end])] + [end - start]:
        part_end = start + comma
        words = WORDS.findall(text[cursor:part_end])
        if parts and len(words) <= QUALIFIER_WORDS and not any(len(word) > 3 and word.lower() in CONDITION_HINTS
                                                                for word in words):
            parts[-1][1] = part_end
        elif words:
            parts.append([cursor, part_end])
        cursor = part_end + 1
    return [(part[0], part[1]) for part in parts]


# Words that make a short comma part a condition of its own, not a qualifier of the one before.
CONDITION_HINTS = frozenset("""pain cyst mass polyp polyps hernia stone stones tear fracture ulcer anemia asthma gerd
obesity fever cough edema effusion stenosis nodule nodules hypertension diabetes depression anxiety dysphagia
syncope vomiting nausea headache diarrhea constipation""".split())


SIDES = (("bilateral", re.compile(r"\b(?:bilateral(?:ly)?|both)\b", re.IGNORECASE)),
         ("left", re.compile(r"\bleft\b", re.IGNORECASE)),
         ("right", re.compile(r"\bright\b", re.IGNORECASE)))
SIDES_ANY = re.compile(r"\b(?:bilateral(?:ly)?|both|left|right)\b", re.IGNORECASE)


def choose(code: str, choices: tuple[tuple[str, str], ...], nodes: dict[str, Node], wording: str) -> str:
    """Of the code the index gives and the codes it leaves to choose (default first), the one whose
    title names the side the wording names ("breast cancer, left" -> the left code); else the code."""
    options = [code] + [choice.replace(".", "") for choice, _ in choices]
    for side, pattern in SIDES:
        if pattern.search(wording):
            for option in options:
                node = nodes.get(option)
                if node is not None and re.search(rf"\b{side}\b", node.title, re.IGNORECASE):
                    return option
            break
    return code


def seventh_from_wording(code: str, wording: str, exists: Container[str]) -> str:
    """An injury or poisoning code (7 characters, chapter S or T) with the encounter character the
    wording supports (I.C.19.a): S for a sequela, D for a subsequent encounter (healing, follow-up),
    B for an open fracture's initial encounter, else A (active treatment)."""
    if len(code) != 7 or code[0] not in "ST":
        return code
    if SEQUELA.search(wording):
        wanted = "S"
    elif SUBSEQUENT.search(wording):
        wanted = "D"
    elif re.search(r"\bopen\b", wording, re.IGNORECASE) and "fracture" in wording.lower():
        wanted = "B"
    else:
        wanted = "A"
    return code[:-1] + wanted if code[:-1] + wanted in exists else code


def rewordings(query: str) -> list[str]:
    """Second readings of an item that matched nothing well, as the Index would be entered: without
    the words it does not index a condition by ("mild", "active", "at C5-C6"), then with an adjective
    of site turned into the site the index names ("facial cellulitis" -> "cellulitis of face")."""
    found = []
    plain = " ".join(NONESSENTIAL.sub(" ", query).split())
    if plain and plain.split() != query.split():
        found.append(plain)
    base = plain or query
    site = SITE_ADJECTIVE.search(base)
    if site is not None:
        rest = " ".join((base[:site.start()] + " " + base[site.end():]).split())
        if rest:
            found.append(f"{rest} of {SITE_NOUNS[site.group(0).lower()]}")
    return found


def suitable(hits: list[Hit], wording: str) -> list[Hit]:
    """The answers that can code a diagnostic item: not an external cause (V00-Y99 are not suggested;
    "Hypothermia" is also an External Cause Index term), and not a personal or family history code
    for an item that names no history ("Colonic polyps" is no family history of polyps)."""
    history_named = HISTORY_WORDS.search(wording) is not None
    return [hit for hit in hits if hit.code[0] not in "VWXY"
            and (history_named or not hit.code.startswith(HISTORY_CATEGORIES))]


def look_up(index: CodeIndex, text: str, start: int, end: int,
            on: datetime.date | None = None) -> list[IndexedItem]:
    """The codes the classification gives one diagnostic item, best first: the encoder's first answer
    when it is good enough, and with it the other answers the index or a table reads in full ("liver
    mets from colon ca": secondary liver and primary colon). Empty when no answer is good enough."""
    from chartdesk.coding.encoder.search import search_index

    span = item_span(text, start, end)
    if span is None:
        return []
    wording = ICD9_NOTE.sub(" ", text[span[0]:span[1]])
    words = WORDS.findall(wording)
    # One word alone ("Social:", "Language:") is a heading inside a section more often than a
    # diagnosis; the dictionary reads the one-word diagnoses ("appendicitis").
    single = len(words) == 1 and len(words[0]) >= SINGLE_WORD_LETTERS
    if not (single or MIN_ITEM_WORDS <= len(words) <= MAX_ITEM_WORDS) or NOT_A_DIAGNOSIS.match(wording.strip()):
        return []
    # The encounter's wording chooses the 7th character; it is no part of the condition looked up.
    query = SEQUELA.sub(" ", SUBSEQUENT.sub(" ", wording))
    sided = SIDES_ANY.search(wording) is not None
    hits = suitable(search_index(index, query, limit=3, on=on), wording)
    for variant in rewordings(query):
        if hits and hits[0].score >= MIN_SCORE:
            break
        hits = suitable(search_index(index, variant, limit=3, on=on), wording)
        single = single or len(WORDS.findall(variant)) == 1
    found: list[IndexedItem] = []
    for rank, hit in enumerate(hits):
        if hit.score < (MIN_SCORE if rank == 0 else PATH_SCORE) or (rank and hit.via == TABULAR_LIST):
            break
        if single and not hit.title.lower().startswith(words[0].lower()):
            break  # one long word names a diagnosis only when it is the code's own name ("Hypothermia")
        if hit.via == NEOPLASM_TABLE and not NEOPLASM_WORDS.search(wording):
            continue  # "of uncertain etiology" is no neoplasm of uncertain behaviour
        if rank and not any(item.code.startswith(SECONDARY_NEOPLASM) for item in found) and \
                not hit.code.startswith(SECONDARY_NEOPLASM):
            break  # a second code only for "mets from": the secondary site and the primary
        code = choose(hit.code, hit.choices, index.nodes, wording) if sided else hit.code
        if not index.nodes[code].billable and hit.choices:
            code = hit.choices[0][0].replace(".", "")
        code = seventh_from_wording(code, wording, index.nodes)
        node = index.nodes.get(code)
        if node is not None and node.billable and all(item.code != node.display for item in found):
            found.append(IndexedItem(node.display, span[0], span[1], hit.via))
    return found
