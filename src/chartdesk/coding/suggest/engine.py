"""Computer-assisted coding: from a note's text, the ICD-10-CM codes (and, inpatient, a few ICD-10-PCS
codes) a coder should consider, each with the exact words that support it.

How a note is read, in order:
1. cut into sections by its headers (sections.py), then into clauses;
2. each clause matched greedily, longest phrase first, against the dictionary (lexicon.py);
3. each mention given its context (context.py): negated, uncertain, history-of, a relative's;
4. the coding rules decide what is coded (guideline sections named where they apply):
   - negated: never coded;
   - uncertain: outpatient, not coded and the documented symptoms are coded instead (IV.H);
     inpatient, coded as if established (II.H, III.C);
   - history of a condition that is over: its personal-history code (Z85-Z87, I25.2); a chronic
     condition written as "history of" or listed in the past history is still current (IV.J);
   - a relative's condition: its family-history code (Z80-Z84);
   - where the note has a diagnostic statement (assessment, impression, final diagnoses), acute
     conditions and symptoms come from it; symptoms elsewhere are integral to the diagnoses and
     not coded (I.B.5), unless an uncertain outpatient diagnosis leaves them to be coded;
5. combinations and specificity: diabetes "with" its complications (I.A.15), hypertension with
   heart failure and/or CKD (I.C.9.a), and a less specific code of a category dropped when a more
   specific one of the same category is supported. Only billable codes are ever suggested.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from chartdesk.coding.suggest.context import (
    Context,
    TriggerHit,
    clause_words,
    contexts_for,
    find_triggers,
    mentions_other_person,
    mentions_relative,
)
from chartdesk.coding.suggest.lexicon import LexiconEntry, Source, load_lexicon
from chartdesk.coding.suggest.phrases import DIABETES_WITH, FAMILY_CODES, HISTORY_CODES, by_prefix
from chartdesk.coding.suggest.procedures import procedure_suggestions
from chartdesk.coding.suggest.results import Candidate, Evidence, Mention, Suggestion
from chartdesk.coding.suggest.rules import (
    combine_diabetes,
    combine_hypertension,
    combine_symptoms,
    drop_less_specific,
    fits_patient,
    is_chronic,
    is_substance_use_only,
    refine,
    vagueness,
)
from chartdesk.coding.suggest.sections import Section, SectionKind, split_sections
from chartdesk.coding.suggest.tabular import load_tabular
from chartdesk.coding.suggest.text import Token, clauses, tokens_of

if TYPE_CHECKING:
    from chartdesk.coding.encoder.index import CodeIndex
    from chartdesk.coding.suggest.indexed import IndexedItem

Setting = Literal["outpatient", "inpatient"]

FLAG_NEGATED = "negated-excluded"
FLAG_UNCERTAIN = "uncertain"
FLAG_HISTORY = "history-of"
FLAG_FAMILY = "family-history"

SOURCE_CONFIDENCE = {Source.CURATED: 0.9, Source.TITLE: 0.85, Source.TITLE_VARIANT: 0.75, Source.INCLUSION_TERM: 0.7,
                     Source.INDEX: 0.65}
TABULAR_LIST = "Tabular List"  # the encoder's answer from titles alone, not the index or a table
# External causes (V00-Y99) are not suggested: the External Cause Index answers words like "fall".
EXTERNAL_CAUSE_LETTERS = frozenset("VWXY")
READ_SECTIONS = frozenset({SectionKind.DIAGNOSIS, SectionKind.INITIAL_DIAGNOSIS, SectionKind.HISTORY,
                           SectionKind.PAST_HISTORY, SectionKind.FAMILY_HISTORY, SectionKind.SOCIAL_HISTORY,
                           SectionKind.OTHER})
SUBSTANCE_PREFIXES = ("F17", "F10", "Z72", "Z87.891")
PERSONAL_HISTORY_PREFIXES = ("Z85", "Z86", "Z87", "I25.2")
FAMILY_HISTORY_PREFIXES = ("Z80", "Z81", "Z82", "Z83", "Z84")
# The headings that give the reason for a visit or a study: "REASON FOR EXAM", "INDICATIONS", "CHIEF COMPLAINT".
REASON_HEADING = re.compile(r"\b(?:REASON|INDICATION|COMPLAINT)", re.IGNORECASE)
# Codes a superseded (preoperative, admitting) statement still gives: the reasons for the encounter.
ENCOUNTER_REASON_PREFIXES = ("Z12", "Z13", "Z30", "Z31", "Z40", "Z80", "Z81", "Z82", "Z83", "Z84", "Z85", "Z86",
                             "Z87")


def find_mentions(text: str, section: Section) -> list[Mention]:
    lexicon = load_lexicon()
    mentions = []
    for clause_start, clause_end in clauses(text, section.start, section.end):
        tokens = tokens_of(text, clause_start, clause_end)
        if not tokens:
            continue
        words = clause_words(tokens)
        found: list[tuple[int, int, LexiconEntry]] = []
        index = 0
        while index < len(words):
            longest = lexicon.longest_from.get(words[index], 0)
            for length in range(min(longest, len(words) - index), 0, -1):
                entry = lexicon.entries.get(tuple(words[index:index + length]))
                if entry is not None and entry.source > Source.TITLE and crosses_comma(tokens, index, length):
                    continue  # "anxiety, depression" is a list of two, not the inclusion term
                if entry is not None:
                    found.append((index, index + length, entry))
                    index += length
                    break
            else:
                index += 1
        if not found:
            continue
        covered = [False] * len(words)
        for start, end, _entry in found:
            covered[start:end] = [True] * (end - start)
        hits: list[TriggerHit] = find_triggers(words, covered)
        clause_text = text[clause_start:clause_end]
        relative, someone_else = mentions_relative(clause_text), mentions_other_person(clause_text)
        for start, end, entry in refine(found, words):
            contexts = contexts_for(start, end, words, hits)
            if relative:
                contexts.add(Context.FAMILY)
            if someone_else:
                contexts.add(Context.OTHER_PERSON)
            mentions.append(Mention(entry, evidence_of(text, tokens[start], tokens[end - 1]), section, contexts))
    return mentions


def indexed_mentions(text: str, sections: list[Section], mentions: list[Mention], index: CodeIndex,
                     on: datetime.date | None) -> list[Mention]:
    """Diagnostic-statement items coded through the classification's index and tables (indexed.py):
    an item the dictionary did not read gets the code the index gives it, with the contexts of its
    clause; an item the dictionary read as a vaguer code of the same category ("carpal tunnel
    syndrome, left": G56.00) takes the index's more specific one (G56.02). Changes mentions in place
    and returns the new ones."""
    from chartdesk.coding.suggest.indexed import items_of, look_up

    found = []
    for section in sections:
        if section.kind not in (SectionKind.DIAGNOSIS, SectionKind.INITIAL_DIAGNOSIS):
            continue
        for clause_start, clause_end in clauses(text, section.start, section.end):
            read_here = [mention for mention in mentions if clause_start <= mention.evidence.start < clause_end]
            for item_start, item_end in items_of(text, clause_start, clause_end):
                inside = [mention for mention in read_here if item_start <= mention.evidence.start < item_end]
                if len(inside) > 1:
                    continue
                items = [item for item in look_up(index, text, item_start, item_end, on)
                         if item.code[0] not in EXTERNAL_CAUSE_LETTERS]
                if not items:
                    continue
                if inside and inside[0].entry.code not in {item.code for item in items}:
                    sharpen(text, inside[0], items[0], item_end - item_start)
                    continue
                contexts = clause_contexts(text, clause_start, clause_end)
                for item in items:
                    if inside and item.code == inside[0].entry.code:
                        continue
                    found.append(Mention(LexiconEntry(item.code, Source.INDEX),
                                         Evidence(item.start, item.end, text[item.start:item.end]), section,
                                         set(contexts)))
    return found


def sharpen(text: str, mention: Mention, item: IndexedItem, item_length: int) -> None:
    """The index's code for the whole item replaces the dictionary's when it is a more specific code
    of the same category (site, laterality, type), or when the dictionary read only part of the item
    and the Table of Neoplasms or Drugs, or the Index, read all of it ("carcinoma in situ of breast,
    left": D09.9 from the dictionary's "carcinoma in situ", D05.92 from the table)."""
    current, code = mention.entry.code, item.code
    if code == current:
        return
    partial = mention.evidence.end - mention.evidence.start < 0.8 * item_length
    if not (partial and item.via != TABULAR_LIST):
        if code[:3] != current[:3] or vagueness(code) > vagueness(current):
            return
        if vagueness(code) == vagueness(current) and len(code) <= len(current):
            return
    entry = mention.entry
    mention.entry = LexiconEntry(code, entry.source, entry.chronic, entry.without_diabetes)
    mention.evidence = Evidence(item.start, item.end, text[item.start:item.end])  # the words that settle it


def clause_contexts(text: str, start: int, end: int) -> set[Context]:
    """Negation, uncertainty, history and family contexts anywhere in a diagnostic clause."""
    words = clause_words(tokens_of(text, start, end))
    contexts = {hit.context for hit in find_triggers(words, [False] * len(words))}
    clause_text = text[start:end]
    if mentions_relative(clause_text):
        contexts.add(Context.FAMILY)
    if mentions_other_person(clause_text):
        contexts.add(Context.OTHER_PERSON)
    return contexts


def organism_candidates(text: str, sections: list[Section], kept: list[Candidate]) -> list[Candidate]:
    """B95-B96 for the organisms the note names beside an infection that does not name its own."""
    from chartdesk.coding.suggest.organisms import needs_organism, organisms_in

    infection = next((candidate for candidate in kept if needs_organism(candidate.code)), None)
    if infection is None:
        return []
    found: dict[str, Candidate] = {}
    for section in sections:
        if section.kind not in (SectionKind.DIAGNOSIS, SectionKind.HISTORY, SectionKind.INITIAL_DIAGNOSIS,
                                SectionKind.OTHER, SectionKind.RESULTS):
            continue
        for clause_start, clause_end in clauses(text, section.start, section.end):
            organisms = organisms_in(text, clause_start, clause_end)
            if not organisms or clause_contexts(text, clause_start, clause_end) & {Context.NEGATED, Context.UNCERTAIN}:
                continue
            for organism in organisms:
                evidence = Evidence(organism.start, organism.end, text[organism.start:organism.end])
                current = found.get(organism.code)
                if current is None:
                    found[organism.code] = Candidate(organism.code, infection.confidence * 0.9, [evidence], section)
                else:
                    current.evidence.append(evidence)
    return list(found.values())


def crosses_comma(tokens: list[Token], index: int, length: int) -> bool:
    return any(token.after_comma for token in tokens[index + 1:index + length])


def evidence_of(text: str, first: Token, last: Token) -> Evidence:
    return Evidence(first.start, last.end, text[first.start:last.end])


def note_has_diabetes(mentions: Iterable[Mention]) -> bool:
    return any(mention.entry.code.startswith(("E10", "E11")) and mention.entry.without_diabetes is None
               and not mention.contexts & {Context.NEGATED, Context.FAMILY, Context.UNCERTAIN}
               for mention in mentions)


def decide(mention: Mention, setting: Setting, has_diagnosis_section: bool, diabetes: bool) -> Candidate:
    """Apply the coding rules to one mention; an excluded candidate says why."""
    entry = mention.entry
    code = entry.code if diabetes or entry.without_diabetes is None else entry.without_diabetes
    chronic = entry.chronic or is_chronic(code)
    kind = mention.section.kind
    candidate = Candidate(code, SOURCE_CONFIDENCE[entry.source], [mention.evidence], mention.section)
    contexts = mention.contexts
    if Context.NEGATED in contexts:
        candidate.flags.add(FLAG_NEGATED)
        candidate.excluded_reason = "negated"
        return candidate
    if Context.HYPOTHETICAL in contexts:
        candidate.excluded_reason = "named as a risk or a warning, not a diagnosis"
        return candidate
    if Context.OTHER_PERSON in contexts and Context.FAMILY not in contexts:
        candidate.excluded_reason = "someone else's condition (spouse, partner)"
        return candidate
    if Context.FAMILY in contexts or kind == SectionKind.FAMILY_HISTORY:
        candidate.flags.add(FLAG_FAMILY)
        if code.startswith(FAMILY_HISTORY_PREFIXES):
            return candidate  # already a family-history code ("family history of colon polyps")
        family_code = by_prefix(FAMILY_CODES, code)
        if family_code is None:
            candidate.excluded_reason = "a relative's condition with no family-history code"
        else:
            candidate.code, candidate.confidence = family_code, candidate.confidence * 0.9
        return candidate
    if Context.UNCERTAIN in contexts:
        candidate.flags.add(FLAG_UNCERTAIN)
        if setting == "outpatient":
            candidate.excluded_reason = "uncertain diagnosis, outpatient: code the symptoms"
            return candidate
        candidate.confidence *= 0.8
    if kind == SectionKind.SOCIAL_HISTORY and not code.startswith(SUBSTANCE_PREFIXES):
        candidate.excluded_reason = "social history names no diagnosis of the patient"
        return candidate
    if is_substance_use_only(code):
        candidate.excluded_reason = "substance use without a related disorder is not coded (I.C.5.b.3)"
        return candidate
    over = Context.HISTORY in contexts or (Context.RESOLVED in contexts and setting == "outpatient")
    listed_in_past = kind in (SectionKind.PAST_HISTORY, SectionKind.SURGICAL_HISTORY)
    if over or (listed_in_past and not chronic and not code.startswith("C")):
        candidate.flags.add(FLAG_HISTORY)
        if code.startswith(PERSONAL_HISTORY_PREFIXES):
            return candidate  # already a history code ("former smoker, quit years ago")
        history_code = by_prefix(HISTORY_CODES, code)
        if history_code is None and chronic and Context.HISTORY in contexts:
            candidate.confidence *= 0.8  # "history of hypertension" is hypertension (IV.J)
            return candidate
        if history_code is None:
            candidate.excluded_reason = "history of a condition that is over, with no history code"
        else:
            candidate.code, candidate.confidence = history_code, candidate.confidence * 0.85
        return candidate
    if listed_in_past:
        candidate.confidence *= 0.8
        return candidate
    if kind in (SectionKind.HISTORY, SectionKind.OTHER) and has_diagnosis_section and not chronic:
        candidate.excluded_reason = "outside the diagnostic statement"
        if code.startswith("R"):
            candidate.excluded_reason = "symptom outside the diagnostic statement"
    return candidate


def suggest_codes(text: str, *, setting: Setting, sex: str | None = None, age: int | None = None,
                  include_excluded: bool = False, index: CodeIndex | None = None,
                  on: datetime.date | None = None) -> list[Suggestion]:
    """The codes to suggest for one encounter's note text, best supported first. With
    include_excluded, the mentions that were not coded come too, each with its excluded_reason
    (negated, uncertain outpatient, history with no code...), so the coder can see what was read.
    With the encoder's index of a loaded ICD-10-CM release (suggest.encoder_index), diagnostic
    items the dictionary does not know are looked up in the Alphabetic Index and tables too."""
    if setting not in ("outpatient", "inpatient"):
        raise ValueError(f"setting must be 'outpatient' or 'inpatient', not {setting!r}")
    sections = split_sections(text)
    final = any(section.kind == SectionKind.DIAGNOSIS for section in sections)
    read = [section for section in sections if section.kind in READ_SECTIONS
            and not (final and section.kind == SectionKind.INITIAL_DIAGNOSIS)]
    has_diagnosis_section = final or any(section.kind == SectionKind.INITIAL_DIAGNOSIS for section in read)
    mentions = [mention for section in read for mention in find_mentions(text, section)]
    # A preoperative statement superseded by the final one still gives the encounter's reasons:
    # screening, family and personal history, sterilization ("Colon cancer screening" beside the
    # polyps found).
    superseded = [section for section in sections if final and section.kind == SectionKind.INITIAL_DIAGNOSIS]
    reasons = [mention for section in superseded for mention in find_mentions(text, section)]
    if index is not None:
        mentions += indexed_mentions(text, read, mentions, index, on)
        reasons += indexed_mentions(text, superseded, reasons, index, on)
    diabetes = note_has_diabetes(mentions)
    candidates = [decide(mention, setting, has_diagnosis_section, diabetes) for mention in mentions]
    candidates += [candidate for candidate in (decide(mention, setting, True, diabetes) for mention in reasons)
                   if candidate.code.startswith(ENCOUNTER_REASON_PREFIXES)]
    uncertain_outpatient = setting == "outpatient" and any(
        candidate.excluded_reason.startswith("uncertain") for candidate in candidates)
    # A study or visit whose diagnostic statement codes nothing ("Normal nuclear myocardial perfusion
    # scan") is coded from the reason it was done for: its documented symptoms (IV.K, IV.L).
    statement = (SectionKind.DIAGNOSIS, SectionKind.INITIAL_DIAGNOSIS)
    nothing_found = has_diagnosis_section and not any(
        not candidate.excluded_reason and candidate.section.kind in statement for candidate in candidates)
    for candidate in candidates:
        if nothing_found and candidate.excluded_reason == "symptom outside the diagnostic statement" and \
                REASON_HEADING.search(candidate.section.heading):
            candidate.excluded_reason = ""
    if uncertain_outpatient:
        for candidate in candidates:
            if candidate.excluded_reason == "symptom outside the diagnostic statement":
                candidate.excluded_reason = ""  # the symptoms stand in for the uncertain diagnosis
    kept = [candidate for candidate in candidates if not candidate.excluded_reason]
    kept = merge_by_code(kept)
    if diabetes:
        kept = combine_diabetes(kept, DIABETES_WITH)
    kept = combine_hypertension(kept)
    kept = combine_symptoms(kept)
    kept += [candidate for candidate in organism_candidates(text, sections, kept)
             if candidate.code not in {other.code for other in kept}]
    kept = drop_less_specific(kept)
    kept = [candidate for candidate in kept if fits_patient(candidate.code, sex, age)]
    tabular = load_tabular()
    suggestions = [to_suggestion(candidate, tabular.title(candidate.code)) for candidate in kept
                   if tabular.is_billable(candidate.code)]
    if setting == "inpatient":
        suggestions += procedure_suggestions(text, sections)
    suggestions.sort(key=lambda suggestion: (-suggestion.confidence, suggestion.evidence[0].start))
    if include_excluded:
        excluded = [to_suggestion(candidate, tabular.title(candidate.code)) for candidate in candidates
                    if candidate.excluded_reason and tabular.is_billable(candidate.code)]
        suggestions += sorted(excluded, key=lambda suggestion: suggestion.evidence[0].start)
    return suggestions


def merge_by_code(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per code, with all its evidence; the diagnostic statement's section is named."""
    merged: dict[str, Candidate] = {}
    for candidate in candidates:
        current = merged.get(candidate.code)
        if current is None:
            merged[candidate.code] = Candidate(candidate.code, candidate.confidence, list(candidate.evidence),
                                               candidate.section, set(candidate.flags))
            continue
        current.evidence.extend(candidate.evidence)
        current.flags |= candidate.flags
        current.confidence = max(current.confidence, candidate.confidence)
        if candidate.section.kind == SectionKind.DIAGNOSIS and current.section.kind != SectionKind.DIAGNOSIS:
            current.section = candidate.section
    return list(merged.values())


def to_suggestion(candidate: Candidate, title: str) -> Suggestion:
    evidence = tuple(sorted(set(candidate.evidence), key=lambda item: (item.start, item.end)))
    return Suggestion(candidate.code, title, round(candidate.confidence, 3), evidence, candidate.section.heading,
                      frozenset(candidate.flags), "icd10cm", candidate.excluded_reason)
