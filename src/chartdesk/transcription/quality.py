"""Quality assurance of transcription: which finished drafts are drawn for review, and how a review scores.

The draw: each draft sent to its author is drawn once, with a fresh random seed that is kept, and picked
when `random.Random(seed).random()` is below the site's percentage (settings.TRANSCRIPTION_QA_PERCENT,
default 5): every transcriptionist's drafts are sampled at that rate, and any draw can be replayed from
its row.

The score is the trade's: errors are weighed by category (a critical error, one that could harm the
patient, counts 3; a medical or English word and an omission 1; punctuation and format 0.25), and the
accuracy is 100 minus the weighted errors per hundred lines: 2 weighted errors in a 100-line draft
score 98.00, the usual target. It never goes below 0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ErrorCategory:
    slug: str
    label: str
    weight: float


ERROR_CATEGORIES: tuple[ErrorCategory, ...] = (
    ErrorCategory("critical", "Critical (could affect care: drug, dose, laterality, result, patient)", 3.0),
    ErrorCategory("medical_word", "Medical word wrong or misspelled", 1.0),
    ErrorCategory("english_word", "English word wrong or misspelled", 1.0),
    ErrorCategory("omission", "Omission or insertion of dictated content", 1.0),
    ErrorCategory("blank", "Blank left where the audio was clear", 0.5),
    ErrorCategory("punctuation", "Punctuation or grammar", 0.25),
    ErrorCategory("format", "Format, headings or template", 0.25),
)
WEIGHTS = {category.slug: category.weight for category in ERROR_CATEGORIES}
TARGET_SCORE = 98.0


def draw(seed: str, percent: Decimal) -> tuple[float, bool]:
    """The number drawn for a seed and whether it picks the draft at that percentage."""
    number = random.Random(seed).random()  # noqa: S311 - a sample, not a secret; replayable by design
    return number, number < float(percent) / 100


def weighted_errors(errors: dict[str, int]) -> float:
    return round(sum(WEIGHTS[slug] * count for slug, count in errors.items()), 2)


def accuracy(errors: dict[str, int], lines: float) -> float:
    """100 minus the weighted errors per hundred lines, to two decimals, never below 0. A draft of
    under one line is scored as one line (a note that short still has its errors)."""
    return round(max(0.0, 100 - weighted_errors(errors) * 100 / max(lines, 1.0)), 2)
