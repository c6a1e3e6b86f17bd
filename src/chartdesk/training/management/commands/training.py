"""`chartdesk training`: the shipped exercises, grading an answer given as JSON, and answer keys.

    chartdesk training exercises [--kind K] --json      id, kind, title, competencies of each exercise
    chartdesk training grade EXERCISE_ID ANSWER.json --json   the score (0-1) and the feedback items,
                                                         graded exactly as on the desk
    chartdesk training key EXERCISE_ID --json            the answer key in the answer format of its kind
    chartdesk training demo-accounts                     demo mode (`make training`): an instructor, a
                                                         student and a course to join, passwords printed

The answer format of each kind is in docs/training.md. A bad answer is an error naming the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.training.catalogue import current_exercises, find_exercise
from chartdesk.training.grading import AnswerError, Exercise, grade, key_as_answer, kinds, shipped_exercises


def _exercise(exercise_id: str, version: int | None = None) -> Exercise:
    exercise = find_exercise(exercise_id, version)
    if exercise is None and exercise_id in shipped_exercises():
        exercise = shipped_exercises()[exercise_id]
    if exercise is None and version is not None and find_exercise(exercise_id) is not None:
        raise CommandError(f"Exercise {exercise_id!r} has no version {version}.")
    if exercise is None:
        raise CommandError(f"No exercise {exercise_id!r}; `training exercises` lists them.")
    if exercise.kind not in kinds():
        raise CommandError(f"Exercise {exercise_id!r} is of kind {exercise.kind!r}, which is not installed.")
    return exercise


def answer_key(exercise: Exercise) -> dict[str, Any]:
    return key_as_answer(exercise)


class Command(BaseCommand):
    help = "Training exercises: list them, grade an answer given as JSON, print an answer key."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        listing = commands.add_parser("exercises", help="list the shipped exercises")
        listing.add_argument("--kind", help="only exercises of this kind")
        listing.add_argument("--json", action="store_true", help="print JSON (the default is a table)")
        grading = commands.add_parser("grade", help="grade an answer file against an exercise's key")
        grading.add_argument("exercise_id")
        grading.add_argument("answer", help="the answer, a JSON file in the kind's format (docs/training.md)")
        grading.add_argument("--version", type=int, help="an authored exercise's version (default: its latest)")
        grading.add_argument("--json", action="store_true")
        key = commands.add_parser("key", help="print an exercise's answer key (instructors)")
        key.add_argument("exercise_id")
        key.add_argument("--json", action="store_true")
        commands.add_parser("demo-accounts", help="demo mode: an instructor, a student and a course (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['subcommand'].replace('-', '_')}")
        handler(options)

    def _exercises(self, options: dict[str, Any]) -> None:
        installed = kinds()
        # Shipped exercises and those authored on the desk (latest version, retired ones left out).
        rows = [
            {"id": exercise.id, "kind": exercise.kind, "title": exercise.title,
             "competencies": list(exercise.competencies), "version": exercise.version}
            for exercise in current_exercises().values()
            if not options["kind"] or exercise.kind == options["kind"]
        ]
        if options["kind"] and options["kind"] not in installed:
            raise CommandError(f"No exercise kind {options['kind']!r}; the kinds are {', '.join(sorted(installed))}.")
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(f"{row['id']:<24} {row['kind']:<14} {row['title']}")

    def _grade(self, options: dict[str, Any]) -> None:
        exercise = _exercise(options["exercise_id"], options["version"])
        path = Path(options["answer"])
        try:
            answer = json.loads(path.read_text(encoding="utf-8"))
        except OSError as problem:
            raise CommandError(f"Cannot read {path}: {problem.strerror or problem}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as problem:
            raise CommandError(f"{path} is not JSON: {problem}") from None
        try:
            result = grade(exercise, answer)
        except AnswerError as problem:
            raise CommandError(f"{path}: {problem}") from None
        if options["json"]:
            self.stdout.write(json.dumps({"exercise": exercise.id, "version": exercise.version, **result.as_json()},
                                         indent=2))
            return
        self.stdout.write(f"{exercise.id}: score {result.score:.2f} ({result.earned:g} of {result.possible:g})")
        for item in result.items:
            self.stdout.write(f"  [{item.earned:g}/{item.possible:g}] {item.point}: {item.explanation}")

    def _demo_accounts(self, options: dict[str, Any]) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model

        from chartdesk.accounts.actions import do_create_user
        from chartdesk.core.demo.load import DEMO_PASSWORD
        from chartdesk.training.actions import do_create_course
        from chartdesk.training.models import Course

        if settings.MODE != "demo":
            raise CommandError("demo-accounts runs only in demo mode (CHARTDESK_MODE=demo): it prints passwords.")
        User = get_user_model()
        made = {}
        for username, role in (("instructor", "instructor"), ("student", "student")):
            made[role] = User.objects.filter(username=username).first() or do_create_user(
                username, role=role, password=DEMO_PASSWORD, acting_user=None, full_name=f"Demo {role}")
        course = Course.objects.filter(instructor=made["instructor"]).first() or do_create_course(
            title="Practice course", seed=1, patients=12, acting_user=made["instructor"])
        self.stdout.write(f"Log in as instructor or student, password {DEMO_PASSWORD}. "
                          f"The student joins '{course.title}' with the code {course.join_code}.")

    def _key(self, options: dict[str, Any]) -> None:
        exercise = _exercise(options["exercise_id"])
        key = answer_key(exercise)
        if options["json"]:
            self.stdout.write(json.dumps(key, indent=2))
            return
        self.stdout.write(f"{exercise.id} ({exercise.kind}): {json.dumps(key)}")
