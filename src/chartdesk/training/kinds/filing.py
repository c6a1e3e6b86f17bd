"""Filing drills: put record numbers in terminal-digit or middle-digit order, and find the misfiled
folders on a shelf.

Done on the training screen (the filing desk has no shelf to rearrange), so build, answer_from_records
and start_url are None. The order is the filing desk's own (chartdesk.filing.order), so a drill and
the file room agree on where every folder goes.

Exercise setup: {"tasks": [{"id": "t1", "type": "order", "system": "terminal-digit", "numbers": [...]},
                           {"id": "m1", "type": "misfiles", "system": "middle-digit", "shelf": [...]}]}
Key and answer: {"t1": [numbers in filing order], "m1": [the misfiled numbers]}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chartdesk.filing.order import NUMBER_KEYS, BadRecordNumber, FilingSystem, record_digits, sections
from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind
from chartdesk.training.kinds._common import require_mapping, require_strings, set_credit

SYSTEMS = (FilingSystem.TERMINAL_DIGIT, FilingSystem.MIDDLE_DIGIT, FilingSystem.STRAIGHT_NUMERIC)

RULES = {
    FilingSystem.TERMINAL_DIGIT: (
        "Terminal-digit rule: a number is read in pairs, 12-34-56 being tertiary 12, secondary 34, primary 56; "
        "folders file by the primary pair (the last two digits), then the secondary pair, then the tertiary pair."
    ),
    FilingSystem.MIDDLE_DIGIT: (
        "Middle-digit rule: a number is read in pairs, 12-34-56 being tertiary 12, secondary 34, primary 56; "
        "folders file by the secondary (middle) pair, then the tertiary (first) pair, then the primary pair."
    ),
    FilingSystem.STRAIGHT_NUMERIC: "Straight-numeric rule: folders file in the order of the whole number.",
}


def _digits(number: str, where: str) -> str:
    try:
        return record_digits(number).rjust(6, "0")
    except BadRecordNumber as error:
        raise AnswerError(f"{where}: {error}") from None


def _tasks(exercise: Exercise) -> dict[str, Mapping[str, Any]]:
    tasks = {}
    for task in exercise.setup.get("tasks", []):
        if task.get("system") not in SYSTEMS or task.get("type") not in ("order", "misfiles"):
            raise AnswerError(f"exercise {exercise.id}: task {task.get('id')!r} has no known type and system")
        tasks[str(task["id"])] = task
    return tasks


def filing_order(numbers: Sequence[str], system: str) -> list[str]:
    """The numbers (as written) in the order of `system`: the filing desk's own sort key."""
    key = NUMBER_KEYS[system]
    return sorted(numbers, key=key)


def _longest_in_order(numbers: Sequence[str], system: str) -> list[str]:
    """The longest run of folders (not necessarily adjacent) already in filing order: the rest are misfiles."""
    key = NUMBER_KEYS[system]
    keys = [key(number) for number in numbers]
    best: list[list[str]] = []
    for position, number in enumerate(numbers):
        chain: list[str] = []
        for earlier in range(position):
            if keys[earlier] <= keys[position] and len(best[earlier]) > len(chain):
                chain = best[earlier]
        best.append([*chain, number])
    return max(best, key=len, default=[])


def misfiled(shelf: Sequence[str], system: str) -> list[str]:
    """The fewest folders whose removal leaves the shelf in filing order."""
    kept = _longest_in_order(shelf, system)
    remaining = list(kept)
    found = []
    for number in shelf:
        if remaining and number == remaining[0]:
            remaining.pop(0)
        else:
            found.append(number)
    return found


def _pairs_words(number: str) -> str:
    tertiary, secondary, primary, leading = sections(number)
    written = "-".join(part for part in (leading, tertiary, secondary, primary) if part)
    return f"{written} (primary {primary}, secondary {secondary}, tertiary {tertiary})"


def _first_wrong(given: list[str], system: str) -> str:
    key = NUMBER_KEYS[system]
    for earlier, later in zip(given, given[1:], strict=False):
        if key(earlier) > key(later):
            return f" You filed {_pairs_words(earlier)} before {_pairs_words(later)}, which files first."
    return ""


def _common_subsequence(expected: list[str], given: list[str]) -> int:
    lengths = [[0] * (len(given) + 1) for _ in range(len(expected) + 1)]
    for row, left in enumerate(expected):
        for column, right in enumerate(given):
            lengths[row + 1][column + 1] = (
                lengths[row][column] + 1 if left == right else max(lengths[row][column + 1], lengths[row + 1][column])
            )
    return lengths[-1][-1]


def _grade_order(task_id: str, task: Mapping[str, Any], expected: list[str], given: list[str]) -> FeedbackItem:
    system = task["system"]
    written = {_digits(number, f"task {task_id}"): number for number in task["numbers"]}
    given_digits = [_digits(number, f"task {task_id}") for number in given]
    if sorted(given_digits) != sorted(written):
        raise AnswerError(f"task {task_id}: the answer must list each of the {len(written)} numbers exactly once")
    expected_digits = [_digits(number, f"task {task_id}") for number in expected]
    in_place = _common_subsequence(expected_digits, given_digits)
    earned = round(in_place / len(expected_digits), 4)
    label = FilingSystem(system).label.lower()
    explanation = (
        f"{RULES[system]} {in_place} of {len(expected_digits)} folders are in {label} order relative to each other."
        f"{_first_wrong(given_digits, system)} Right order: {', '.join(expected)}."
    )
    return FeedbackItem(f"Task {task_id}: {label} order", earned, 1.0, explanation)


def _grade_misfiles(task_id: str, task: Mapping[str, Any], expected: list[str], given: list[str]) -> FeedbackItem:
    system = task["system"]
    shelf = {_digits(number, f"task {task_id}"): number for number in task["shelf"]}
    given_digits = {_digits(number, f"task {task_id}") for number in given}
    not_on_shelf = sorted(given_digits - set(shelf))
    if not_on_shelf:
        raise AnswerError(f"task {task_id}: {', '.join(not_on_shelf)} is not on the shelf")
    expected_digits = {_digits(number, f"task {task_id}") for number in expected}
    earned = set_credit(expected_digits, given_digits)
    missed = [shelf[digits] for digits in sorted(expected_digits - given_digits)]
    wrongly = [shelf[digits] for digits in sorted(given_digits - expected_digits)]
    detail = ""
    if missed:
        detail += f" Missed: {', '.join(missed)}."
    if wrongly:
        detail += f" Filed correctly, not misfiles: {', '.join(wrongly)}."
    label = FilingSystem(system).label.lower()
    explanation = (
        f"{RULES[system]} Taking out the misfiled folders must leave the shelf in {label} order. "
        f"Misfiled: {', '.join(expected) or 'none'}.{detail}"
    )
    return FeedbackItem(f"Task {task_id}: misfiles on a {label} shelf", earned, 1.0, explanation)


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    tasks = _tasks(exercise)
    answer = require_mapping(answer, "the answer")
    unknown = sorted(set(answer) - set(tasks))
    if unknown:
        raise AnswerError(f"the exercise has no task {', '.join(repr(name) for name in unknown)}")
    items = []
    for task_id, task in tasks.items():
        if task_id not in answer:
            raise AnswerError(f"the answer has no list for task {task_id!r}")
        given = require_strings(answer[task_id], f"task {task_id}")
        expected = [str(number) for number in exercise.key[task_id]]
        grader = _grade_order if task["type"] == "order" else _grade_misfiles
        items.append(grader(task_id, task, expected, given))
    return Grade(tuple(items))


def key_from_setup(setup: Mapping[str, Any]) -> dict[str, list[str]]:
    """The answer key the filing desk's own order gives (tests hold every shipped key to it)."""
    key = {}
    for task in setup["tasks"]:
        if task["type"] == "order":
            key[task["id"]] = filing_order(task["numbers"], task["system"])
        else:
            key[task["id"]] = misfiled(task["shelf"], task["system"])
    return key


FILING = register_kind(ExerciseKind(
    name="filing",
    title="Filing: terminal-digit and middle-digit order, misfiles",
    grade=grade,
    key_from_setup=key_from_setup,
    answer_help=(
        'One entry per task: {"t1": ["12-34-56", ...]} lists every number of an order task in filing order; '
        '{"m1": ["33-10-07"]} lists the misfiled folders of a shelf task.'
    ),
))
