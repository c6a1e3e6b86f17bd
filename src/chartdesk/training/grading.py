"""The shape every exercise kind shares, so the desk, the CLI and the gradebook read one format.

An exercise is data (a JSON file under data/exercises/<kind>/): what to set up in the student's
sandbox, the instructions, the competencies it trains and the answer key. A kind knows how to build
the exercise's records, how to read what the student did on the real desk back into an answer, and how
to grade an answer against the key. The answer format per kind is documented in docs/training.md; the
CLI grades an answer given as JSON with the same function the desk uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from chartdesk.core.errors import ChartdeskError

EXERCISES_DIR = Path(__file__).resolve().parent / "data" / "exercises"


class AnswerError(ValueError):
    """An answer (or a key) that does not follow its kind's format; the message names the problem."""


@dataclass(frozen=True)
class FeedbackItem:
    """One graded point: what was checked, the credit earned, and why (rule, guideline, right answer)."""

    point: str
    earned: float
    possible: float
    explanation: str

    @property
    def correct(self) -> bool:
        return self.earned >= self.possible


@dataclass(frozen=True)
class Grade:
    items: tuple[FeedbackItem, ...]

    @property
    def earned(self) -> float:
        return sum(item.earned for item in self.items)

    @property
    def possible(self) -> float:
        return sum(item.possible for item in self.items)

    @property
    def score(self) -> float:
        """0 to 1; an exercise with nothing to grade scores 0 rather than dividing by zero."""
        return round(self.earned / self.possible, 4) if self.possible else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "earned": self.earned,
            "possible": self.possible,
            "feedback": [
                {
                    "point": item.point,
                    "earned": item.earned,
                    "possible": item.possible,
                    "correct": item.correct,
                    "explanation": item.explanation,
                }
                for item in self.items
            ],
        }


@dataclass(frozen=True)
class Exercise:
    id: str
    kind: str
    title: str
    competencies: tuple[str, ...]
    instructions: str
    setup: Mapping[str, Any]
    key: Mapping[str, Any]
    # The version of an exercise authored on the desk (None: shipped with the product).
    version: int | None = None


Grader = Callable[[Exercise, Mapping[str, Any]], Grade]


@dataclass(frozen=True)
class ExerciseKind:
    """What a kind of exercise knows.

    grade(exercise, answer) raises AnswerError for an answer not in the kind's format.
    build(exercise) creates the exercise's records in the current database (the student's sandbox) through
    the apps' own actions. answer_from_records(exercise) reads what the student did on the desk back into the
    answer format. start_url(exercise) is the real desk page where the student begins. The last three are
    None for drills done on the training screen itself (terminology).
    """

    name: str
    title: str
    grade: Grader
    build: Callable[[Exercise], None] | None = None
    answer_from_records: Callable[[Exercise], dict[str, Any]] | None = None
    start_url: Callable[[Exercise], str] | None = None
    answer_help: str = field(default="")
    # The key written as a full-marks answer, where the key's own shape differs from the answer's
    # (`chartdesk training key` prints it); None: the key minus its explanations is the answer.
    key_answer: Callable[[Exercise], dict[str, Any]] | None = None
    # Where the product's own logic computes the key from the setup (filing order, ROI rules, the
    # scrubber, the completion rules): an authored key must agree with it, and the computed key (with
    # its explanations) is the one kept.
    key_from_setup: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    # The real desk pages of the exercise's records in the sandbox, as (label, url), listed on the attempt's
    # page (ROI: "Open the request"; claims: each claim's page); None: the start page is the only way in.
    desk_links: Callable[[Exercise], list[tuple[str, str]]] | None = None


_KINDS: dict[str, ExerciseKind] = {}


def register_kind(kind: ExerciseKind) -> ExerciseKind:
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"exercise kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def kinds() -> dict[str, ExerciseKind]:
    return dict(_KINDS)


def kind_of(exercise: Exercise) -> ExerciseKind:
    try:
        return _KINDS[exercise.kind]
    except KeyError:
        raise AnswerError(f"no exercise kind {exercise.kind!r} is installed") from None


def _exercise_from_file(path: Path) -> Exercise:
    data = json.loads(path.read_text(encoding="utf-8"))
    missing = [name for name in ("id", "kind", "title", "competencies", "instructions", "key") if name not in data]
    if missing:
        raise ValueError(f"{path.name}: missing {', '.join(missing)}")
    if data["kind"] != path.parent.name:
        raise ValueError(f"{path.name}: kind {data['kind']!r} filed under {path.parent.name!r}")
    return Exercise(
        id=str(data["id"]),
        kind=str(data["kind"]),
        title=str(data["title"]),
        competencies=tuple(str(c) for c in data["competencies"]),
        instructions=str(data["instructions"]),
        setup=data.get("setup", {}),
        key=data["key"],
    )


@cache
def shipped_exercises() -> dict[str, Exercise]:
    """Every exercise shipped with the product, by id (ids are unique across kinds)."""
    found: dict[str, Exercise] = {}
    for path in sorted(EXERCISES_DIR.glob("*/*.json")):
        exercise = _exercise_from_file(path)
        if exercise.id in found:
            raise ValueError(f"exercise id {exercise.id!r} is used twice")
        found[exercise.id] = exercise
    return found


# Key fields that explain rather than answer: the key as an answer leaves them out.
EXPLANATION_FIELDS = ("why", "guideline")
# What a kind's code raises on a key or setup of the wrong shape, when its own checks did not name it.
# (A ChartdeskError is a product rule refusing the input, as the DRG grouper refuses a case without a
# principal diagnosis.)
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, ChartdeskError)


def key_as_answer(exercise: Exercise) -> dict[str, Any]:
    """The key written as a full-marks answer, in the kind's answer format."""
    kind = kind_of(exercise)
    if kind.key_answer is not None:
        return kind.key_answer(exercise)
    return {name: value for name, value in exercise.key.items() if name not in EXPLANATION_FIELDS}


def _shape_problem(problem: Exception) -> str:
    if isinstance(problem, KeyError):
        return f"missing {problem.args[0]!r}" if problem.args else "a field is missing"
    if isinstance(problem, ChartdeskError):
        return problem.message
    return str(problem) or type(problem).__name__


def checked_key(exercise: Exercise) -> Exercise:
    """The exercise as it may be kept, once its kind's own logic accepts its key; else AnswerError naming
    the problem.

    The key is held to the kind's answer format and grading: graded as an answer it must earn full marks
    (for kinds whose key the product computes from the setup, against that computed key, which is then
    the key kept, so feedback carries the product's own explanations)."""
    kind = kind_of(exercise)
    if not isinstance(exercise.key, Mapping):
        raise AnswerError("the key must be a JSON object")
    if not isinstance(exercise.setup, Mapping):
        raise AnswerError("the setup must be a JSON object")
    reference = exercise
    if kind.key_from_setup is not None:
        try:
            computed = kind.key_from_setup(exercise.setup)
        except AnswerError as problem:
            raise AnswerError(f"setup: {problem}") from None
        except SHAPE_ERRORS as problem:
            raise AnswerError(f"setup: {_shape_problem(problem)}") from None
        reference = Exercise(exercise.id, exercise.kind, exercise.title, exercise.competencies,
                             exercise.instructions, exercise.setup, computed, exercise.version)
    try:
        result = kind.grade(reference, key_as_answer(exercise))
    except AnswerError as problem:
        raise AnswerError(f"key: {problem}") from None
    except SHAPE_ERRORS as problem:
        raise AnswerError(f"key: {_shape_problem(problem)}") from None
    if not result.possible:
        raise AnswerError("key: it gives nothing to grade")
    wrong = next((item for item in result.items if not item.correct), None)
    if wrong is not None:
        raise AnswerError(f"key: graded as an answer it earns {result.earned:g} of {result.possible:g}; "
                          f"{wrong.point}: {wrong.explanation}")
    return reference


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    if not isinstance(answer, Mapping):
        raise AnswerError("the answer must be a JSON object")
    return kind_of(exercise).grade(exercise, answer)
