"""Every exercise a course can use: the ones shipped as JSON files and the ones instructors author on
the desk (training.models.AuthoredExercise, versioned). The desk, the exams and the CLI look exercises up
here, so an authored exercise is used exactly like a shipped one.
"""

from __future__ import annotations

from functools import cache

from chartdesk.training.grading import Exercise, kinds, shipped_exercises
from chartdesk.training.models import AuthoredExercise, AuthoredVersion


def exercise_from_version(version: AuthoredVersion) -> Exercise:
    return Exercise(
        id=version.exercise.exercise_id, kind=version.exercise.kind, title=version.title,
        competencies=tuple(str(name) for name in version.competencies), instructions=version.instructions,
        setup=version.setup, key=version.key, version=version.number,
    )


def _authored_pk(exercise_id: str) -> int | None:
    number = exercise_id.removeprefix(AuthoredExercise.ID_PREFIX)
    if number == exercise_id or not number.isdigit() or len(number) > 12:
        return None
    return int(number)


def find_exercise(exercise_id: str, version: int | None = None, *, retired: bool = True) -> Exercise | None:
    """A shipped exercise, or an authored one at `version` (its latest when None), of an installed kind.

    `retired=False` leaves out retired authored exercises (new work); attempts and exams made before the
    retirement still find theirs."""
    exercise: Exercise | None = shipped_exercises().get(exercise_id)
    if exercise is None:
        pk = _authored_pk(exercise_id)
        versions = AuthoredVersion.objects.select_related("exercise").filter(exercise_id=pk) if pk else None
        if versions is not None and not retired:
            versions = versions.filter(exercise__retired_at__isnull=True)
        if versions is not None and version is not None:
            versions = versions.filter(number=version)
        found = versions.order_by("-number").first() if versions is not None else None
        exercise = exercise_from_version(found) if found is not None else None
    if exercise is None or exercise.kind not in kinds():
        return None
    return exercise


def current_exercises() -> dict[str, Exercise]:
    """Every exercise open to new work, by id: shipped ones, then authored ones not retired, at their
    latest version."""
    installed = kinds()
    found = {exercise_id: exercise for exercise_id, exercise in shipped_exercises().items()
             if exercise.kind in installed}
    latest: dict[int, AuthoredVersion] = {}
    for version in (AuthoredVersion.objects.select_related("exercise")
                    .filter(exercise__retired_at__isnull=True).order_by("exercise_id", "number")):
        latest[version.exercise_id] = version
    for version in latest.values():
        if version.exercise.kind in installed:
            exercise = exercise_from_version(version)
            found[exercise.id] = exercise
    return found


@cache
def competency_list() -> tuple[str, ...]:
    """The competencies the shipped exercises train (AHIMA RHIT and CCA domains, AAPC CPC sections): the
    list an authored exercise picks from, so the gradebook's per-competency means line up."""
    return tuple(sorted({name for exercise in shipped_exercises().values() for name in exercise.competencies}))
