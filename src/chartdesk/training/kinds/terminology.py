"""Medical terminology drills: word parts (prefixes, combining forms, suffixes) and abbreviations,
answered on the training screen, with spaced repetition per student (training.models.TermCard).

Answer format:
    {"answers": {"brady-": "slow", "-ectomy": "excision", "CHF": "congestive heart failure"}}
one entry per term of the drill (a term left out counts as unanswered). The key lists each term with
its meaning and the other accepted wordings ("also").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind

# Days until a term is due again, by the Leitner box it has reached.
BOX_DAYS = {1: 0, 2: 1, 3: 3, 4: 7, 5: 16}
TOP_BOX = max(BOX_DAYS)


def part_of(term: str) -> str:
    if term.endswith("-"):
        return "prefix"
    if term.startswith("-"):
        return "suffix"
    if "/" in term:
        return "combining form (root)"
    return "abbreviation"


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s/&-]", "", text.lower())).strip()


def key_items(exercise: Exercise) -> list[Mapping[str, Any]]:
    items = exercise.key.get("items")
    if not isinstance(items, list) or not items:
        raise AnswerError(f"exercise {exercise.id}: its key has no items")
    return items


def parse_answer(exercise: Exercise, answer: Mapping[str, Any]) -> dict[str, str]:
    unknown = sorted(set(answer) - {"answers"})
    if unknown:
        raise AnswerError(f"unknown field(s): {', '.join(unknown)}; a terminology answer has answers")
    answers = answer.get("answers", {})
    if not isinstance(answers, Mapping):
        raise AnswerError("answers: must be an object of term: meaning")
    terms = {str(item["term"]) for item in key_items(exercise)}
    strangers = sorted(set(answers) - terms)
    if strangers:
        raise AnswerError(f"answers: {', '.join(strangers)} is not a term of this drill")
    for term, meaning in answers.items():
        if not isinstance(meaning, str):
            raise AnswerError(f"answers.{term}: must be text")
    return {str(term): str(meaning) for term, meaning in answers.items()}


def grade_terminology(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    given = parse_answer(exercise, answer)
    items: list[FeedbackItem] = []
    for item in key_items(exercise):
        term, meaning = str(item["term"]), str(item["meaning"])
        accepted = {_normal(meaning), *(_normal(str(other)) for other in item.get("also", []))}
        said = _normal(given.get(term, ""))
        part = part_of(term)
        standard = f"{term} is {'an' if part[0] in 'aeiou' else 'a'} {part} meaning \u201c{meaning}\u201d"
        others = [str(other) for other in item.get("also", [])]
        also = f" (also accepted: {', '.join(others)})" if others else ""
        if said in accepted:
            items.append(FeedbackItem(term, 1.0, 1.0, f"Right: {standard}.{also}"))
        elif said and any(re.search(rf"\b{re.escape(word)}\b", said) for word in accepted if word):
            items.append(FeedbackItem(term, 0.5, 1.0, f"Close: \u201c{given[term]}\u201d holds the meaning but "
                                      f"adds to it; {standard}.{also}"))
        elif not said:
            items.append(FeedbackItem(term, 0.0, 1.0, f"Not answered: {standard}.{also}"))
        else:
            items.append(FeedbackItem(term, 0.0, 1.0, f"Wrong: \u201c{given[term]}\u201d; {standard}.{also}"))
    return Grade(tuple(items))


def drill_order(exercise: Exercise, student: Any, today: datetime.date) -> list[Mapping[str, Any]]:
    """The drill's terms, those due (or missed last time) first, then by how far up the boxes they are."""
    from chartdesk.training.models import TermCard

    cards = {card.term: card for card in TermCard.objects.filter(student=student)}

    def order(item: Mapping[str, Any]) -> tuple[int, int, str]:
        card = cards.get(str(item["term"]))
        if card is None:
            return (1, 0, str(item["term"]))  # new terms after the ones due
        return (0 if card.due_on <= today else 2, card.box, str(item["term"]))

    return sorted(key_items(exercise), key=order)


def record_reviews(student: Any, result: Grade, today: datetime.date) -> None:
    """Move each term's card by the grade: full credit up one box, anything less back to box 1."""
    from chartdesk.training.models import TermCard

    for item in result.items:
        card, _ = TermCard.objects.select_for_update().get_or_create(
            student=student, term=item.point, defaults={"due_on": today})
        if item.correct:
            card.box = min(card.box + 1, TOP_BOX)
        else:
            card.box, card.lapses = 1, card.lapses + 1
        card.reviews += 1
        card.due_on = today + datetime.timedelta(days=BOX_DAYS[card.box])
        card.save(update_fields=["box", "lapses", "reviews", "due_on"])


def key_answer(exercise: Exercise) -> dict[str, Any]:
    return {"answers": {str(item["term"]): str(item["meaning"]) for item in key_items(exercise)}}


register_kind(ExerciseKind(
    name="terminology",
    title="Medical terminology drill",
    grade=grade_terminology,
    answer_help=__doc__ or "",
    key_answer=key_answer,
))
