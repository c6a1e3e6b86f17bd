"""What a clause says about a condition it names, NegEx style (Chapman et al., 2001): triggers before
or after the mention, whose scope runs to the end of the clause or to a word that closes it ("but",
"however"). Negated ("denies chest pain", "no evidence of pneumonia"), uncertain ("rule out",
"probable", "suspected", "likely"), history-of ("history of", "status post", "resolved"), a
relative's condition ("mother had breast cancer"), or planned rather than done (procedures)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from chartdesk.coding.suggest.text import Token, phrase_key


class Context(StrEnum):
    NEGATED = "negated"
    UNCERTAIN = "uncertain"
    HISTORY = "history-of"
    FAMILY = "family-history"
    PLANNED = "planned"
    HYPOTHETICAL = "hypothetical"  # a risk explained, a warning sign to watch for
    OTHER_PERSON = "other-person"  # the spouse's or partner's condition, not the patient's
    RESOLVED = "resolved"  # over now: not coded outpatient; treated during an inpatient stay, still coded


def keys(*phrases: str) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({phrase_key(phrase) for phrase in phrases}, key=len, reverse=True))


# Triggers that look forward to the conditions after them, and those that look back.
PRE_TRIGGERS: dict[Context, tuple[tuple[str, ...], ...]] = {
    Context.NEGATED: keys("no", "not", "denies", "denied", "deny", "denying", "without", "negative for", "neg for",
                          "free of", "absence of", "never had", "ruled out for", "ruled out", "nor", "none",
                          "no evidence of", "no signs of", "no sign of", "negative"),
    Context.UNCERTAIN: keys("probable", "probably", "possible", "possibly", "suspected", "suspect", "suspicious for",
                            "likely", "rule out", "r/o", "questionable", "question of", "concern for", "concerning for",
                            "consistent with", "compatible with", "presumed", "presumptive", "differential",
                            "cannot exclude", "versus", "vs"),
    Context.HISTORY: keys("history of", "hx of", "h/o", "status post", "s/p", "previous", "prior", "remote", "former",
                          "ex"),
    Context.HYPOTHETICAL: keys("risk", "risks", "risk of", "complications include", "complications including",
                               "potential complications", "side effects", "watch for", "call for", "return for",
                               "precautions"),
    Context.PLANNED: keys("scheduled for", "will undergo", "will have", "plan for", "planned", "recommend",
                          "recommended", "consider", "referred for", "candidate for", "interested in",
                          "agreeable to", "prefers", "awaiting"),
}
POST_TRIGGERS: dict[Context, tuple[tuple[str, ...], ...]] = {
    Context.NEGATED: keys("ruled out", "excluded", "unlikely", "absent", "not seen", "negative", "not present"),
    Context.UNCERTAIN: keys("suspected", "is suspected", "likely", "possible", "questionable", "not excluded",
                            "cannot be excluded", "versus", "vs"),
    Context.HISTORY: keys("years ago", "in the past"),
    Context.RESOLVED: keys("resolved", "now resolved", "has resolved"),
}
# Words that close a trigger's scope early.
SCOPE_ENDS = frozenset({"but", "however", "although", "though", "except", "aside", "apart", "yet", "whereas",
                        "nevertheless", "which", "while"})
POST_WINDOW = 5
RELATIVES = re.compile(
    r"\b(?:mother|father|mom|dad|brother|sister|sibling|grandmother|grandfather|aunt|uncle|parent|cousin)s?\b"
    r"(?:'s)?\s+(?:has|had|have|with|died|diagnosed|was diagnosed|suffers|suffered|history)"
    r"|\bfamily history\b|\bfamilial\b|\bin (?:his|her|the) family\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TriggerHit:
    context: Context
    start: int  # token index of the trigger's first word
    end: int  # token index after its last word
    before: bool  # True: looks at what follows it; False: looks back


def trigger_index() -> dict[str, list[tuple[tuple[str, ...], Context, bool]]]:
    """Triggers by their first word, longest first, so a clause is scanned once."""
    index: dict[str, list[tuple[tuple[str, ...], Context, bool]]] = {}
    for table, before in ((PRE_TRIGGERS, True), (POST_TRIGGERS, False)):
        for context, triggers in table.items():
            for trigger in triggers:
                index.setdefault(trigger[0], []).append((trigger, context, before))
    for entries in index.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return index


TRIGGERS_BY_FIRST_WORD = trigger_index()


def find_triggers(words: list[str], covered: list[bool]) -> list[TriggerHit]:
    """Every trigger in a clause's words, skipping words that belong to a matched condition (the
    "without" of "type 2 diabetes mellitus without complications" is part of its name). At one
    place, the longest trigger of each context and direction counts."""
    hits = []
    for index, word in enumerate(words):
        candidates = TRIGGERS_BY_FIRST_WORD.get(word)
        if candidates is None or covered[index]:
            continue
        seen: set[tuple[Context, bool]] = set()
        for trigger, context, before in candidates:
            end = index + len(trigger)
            if (context, before) in seen or end > len(words):
                continue
            if trigger == ("past",) and end != len(words):
                continue  # "in the past." ends a clause; "for the past 3 days" is recent
            if tuple(words[index:end]) == trigger and not any(covered[index:end]):
                hits.append(TriggerHit(context, index, end, before))
                seen.add((context, before))
    return [hit for hit in hits if hit.before or not looks_forward(hit, hits, covered)]


def looks_forward(hit: TriggerHit, hits: list[TriggerHit], covered: list[bool]) -> bool:
    """A word that may look either way ("likely", "possible", "versus") looks forward when a condition
    follows it in the clause: in "overactive bladder, most likely atrophic vaginitis" only the
    vaginitis is uncertain."""
    return any(other.before and other.context == hit.context and other.start == hit.start for other in hits) and \
        any(covered[hit.end:])


def contexts_for(mention_start: int, mention_end: int, words: list[str], hits: list[TriggerHit]) -> set[Context]:
    """The contexts that reach the mention at token indexes [mention_start, mention_end)."""
    found = set()
    for hit in hits:
        if hit.before and hit.end <= mention_start:
            if not any(word in SCOPE_ENDS for word in words[hit.end:mention_start]):
                found.add(hit.context)
        elif not hit.before and hit.start >= mention_end and hit.start - mention_end <= POST_WINDOW:
            if not any(word in SCOPE_ENDS for word in words[mention_end:hit.start]):
                found.add(hit.context)
    return found


SOMEONE_ELSE = re.compile(r"\b(?:wife|husband|spouse|partner|roommate|friend)(?:'s)?\b", re.IGNORECASE)


def mentions_relative(clause_text: str) -> bool:
    return RELATIVES.search(clause_text) is not None


def mentions_other_person(clause_text: str) -> bool:
    return SOMEONE_ELSE.search(clause_text) is not None


def clause_words(tokens: list[Token]) -> list[str]:
    return [token.norm for token in tokens]
