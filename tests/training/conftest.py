"""Fixtures of training: an instructor, students, a course, and students who joined it (each join
builds a real sandbox file from the demo generator, a few seconds each)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chartdesk.training import actions
from tests.support import factories

SANDBOX_PATIENTS = 4


@pytest.fixture(scope="session")
def _training_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One folder for the session: the migrated template (about half a minute to build) is made once.
    return tmp_path_factory.mktemp("training")


# The template is named by a hash of every migration, so sessions (and engineers' checkouts) on the
# same migrations share it safely; building one takes half a minute or more on a busy machine.
TEMPLATES = Path(tempfile.gettempdir()) / "chartdesk-training-templates"


@pytest.fixture(autouse=True)
def _training_dir(settings: Any, _training_folder: Path) -> Iterator[Path]:
    settings.TRAINING_DIR = _training_folder
    settings.TRAINING_TEMPLATE_DIR = TEMPLATES
    yield _training_folder
    # Each test's database rolls back; its sandbox files go with it.
    for leftover in _training_folder.glob("course*"):
        if leftover.is_dir():  # a sandbox's stored files
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)


@pytest.fixture
def instructor(db: Any) -> Any:
    return factories.make_user("instructor", username="prof-ada")


@pytest.fixture
def student(db: Any) -> Any:
    return factories.make_user("student", username="stu-bea", first_name="Bea", last_name="Student")


@pytest.fixture
def other_student(db: Any) -> Any:
    return factories.make_user("student", username="stu-cal")


@pytest.fixture
def course(instructor: Any) -> Any:
    return actions.do_create_course(title="HIT 120 Coding I", seed=7, patients=SANDBOX_PATIENTS,
                                    acting_user=instructor)


@pytest.fixture
def enrollment(course: Any, student: Any) -> Any:
    return actions.do_join_course(course.join_code, acting_user=student)
