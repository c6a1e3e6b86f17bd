"""The coder's answer to each suggestion, and how well suggestions did, measured from those answers
or from a labelled set.

The workflow calls `decision_for(...)` when the coder accepts, edits or rejects a suggestion, and
records it; the same coder may also add a code nothing suggested (`Verdict.ADDED`). From a set of
decisions: precision = suggestions kept as they were / all suggestions; recall = suggestions kept /
the codes the coder finally assigned (kept + edited-to + added); an edit counts against both, as
the suggestion was wrong and the right code was missed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    ACCEPTED = "accepted"  # suggested code kept as is
    EDITED = "edited"  # suggested code replaced by another (final_code)
    REJECTED = "rejected"  # suggested code removed
    ADDED = "added"  # the coder assigned a code nothing suggested


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    suggested_code: str  # "" for ADDED
    final_code: str  # "" for REJECTED
    system: str = "icd10cm"


def decision_for(verdict: Verdict | str, *, suggested_code: str = "", final_code: str = "",
                 system: str = "icd10cm") -> Decision:
    """A coder's decision, checked for the fields its verdict needs."""
    verdict = Verdict(verdict)
    if verdict != Verdict.ADDED and not suggested_code:
        raise ValueError(f"a {verdict} decision needs the suggested code")
    if verdict == Verdict.ACCEPTED:
        final_code = final_code or suggested_code
        if final_code != suggested_code:
            raise ValueError("an accepted suggestion keeps its code; use 'edited' for a different code")
    if verdict in (Verdict.EDITED, Verdict.ADDED) and not final_code:
        raise ValueError(f"an {verdict} decision needs the final code")
    if verdict == Verdict.EDITED and final_code == suggested_code:
        raise ValueError("an edit must change the code; use 'accepted'")
    if verdict == Verdict.REJECTED:
        final_code = ""
    if verdict == Verdict.ADDED:
        suggested_code = ""
    return Decision(verdict, suggested_code, final_code, system)


@dataclass(frozen=True, slots=True)
class Scores:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        suggested = self.true_positives + self.false_positives
        return self.true_positives / suggested if suggested else 0.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 0.0

    @property
    def f1(self) -> float:
        precision, recall = self.precision, self.recall
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def __add__(self, other: Scores) -> Scores:
        return Scores(self.true_positives + other.true_positives, self.false_positives + other.false_positives,
                      self.false_negatives + other.false_negatives)


def scores_from_decisions(decisions: Iterable[Decision]) -> Scores:
    true_positives = false_positives = false_negatives = 0
    for decision in decisions:
        if decision.verdict == Verdict.ACCEPTED:
            true_positives += 1
        elif decision.verdict == Verdict.EDITED:
            false_positives += 1
            false_negatives += 1
        elif decision.verdict == Verdict.REJECTED:
            false_positives += 1
        else:
            false_negatives += 1
    return Scores(true_positives, false_positives, false_negatives)


def scores_for_note(suggested: Iterable[str], expected: Iterable[str]) -> Scores:
    """Set comparison of one note's suggested codes with the codes a coder assigned."""
    suggested_set, expected_set = set(suggested), set(expected)
    return Scores(len(suggested_set & expected_set), len(suggested_set - expected_set),
                  len(expected_set - suggested_set))


def scores_for_labelled_set(pairs: Iterable[tuple[Iterable[str], Iterable[str]]]) -> Scores:
    """Micro-averaged scores over (suggested codes, expected codes) of many notes."""
    total = Scores(0, 0, 0)
    for suggested, expected in pairs:
        total = total + scores_for_note(suggested, expected)
    return total
