"""Exercises authored on the desk: a key of every kind accepted, a malformed key of every kind refused with
nothing saved, a key the product's own logic disagrees with refused, versions, retirement, the CLI, and
who may author."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.training import actions
from chartdesk.training.catalogue import competency_list
from chartdesk.training.grading import kinds, shipped_exercises
from chartdesk.training.models import Attempt, AuthoredExercise, AuthoredVersion
from tests.support import factories
from tests.support.factories import MAIN_ROLES


def refused_on_the_desk(role: str) -> int:
    # A system account (interface) has no desk session at all: it is sent to log in.
    return 302 if role == "interface" else 403

# One shipped exercise per kind: its setup and key are what an instructor would write for that kind.
SAMPLES = {"abstracting": "abstracting-01", "claims": "claims-01", "coding": "coding-op-05",
           "deficiency": "deficiency-01", "filing": "filing-01", "mpi": "mpi-01", "roi": "roi-01",
           "terminology": "term-prefixes-1", "transcription": "transcription-01"}

# Per kind, a key of the right fields with the wrong shapes, and the words the refusal names it with.
MALFORMED = {
    "abstracting": ({"diagnoses": "I50.23"}, "diagnoses: must be a list"),
    "claims": ({"claims": ["C1"]}, "'claims' must be a JSON object"),
    "coding": ({"diagnoses": "I10"}, "diagnoses: must be a list of ICD-10-CM codes"),
    "deficiency": ({"deficiencies": {"chart": "A"}}, "'deficiencies' must be a list"),
    "filing": ({"t1": "12-34-56"}, "must be a list"),
    "mpi": ({"duplicates": 5, "look_alikes": []}, "duplicates must be a list"),
    "roi": ({"requests": []}, "'requests' must be a JSON object"),
    "terminology": ({"items": "brady-"}, "its key has no items"),
    "transcription": ({"text": 12}, "'text' must be the transcript as a string"),
}


def form(kind: str, *, title: str = "Written on the desk", key: Any = None, setup: Any = None,
         competencies: list[str] | None = None) -> dict[str, Any]:
    sample = shipped_exercises()[SAMPLES[kind]]
    return {
        "kind": kind, "title": title, "instructions": "Do the work.",
        "competencies": competencies or list(sample.competencies),
        "setup": json.dumps(dict(sample.setup) if setup is None else setup),
        "key": json.dumps(dict(sample.key) if key is None else key),
    }


def author(instructor: Any, kind: str = "filing", **changes: Any) -> AuthoredExercise:
    data = form(kind, **changes)
    return actions.do_author_exercise(
        kind=kind, title=data["title"], competencies=data["competencies"], instructions=data["instructions"],
        setup=json.loads(data["setup"]), key=json.loads(data["key"]), acting_user=instructor)


def test_every_installed_kind_has_a_sample_and_a_malformed_key_here():
    assert set(SAMPLES) == set(MALFORMED) == set(kinds())


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_an_instructor_authors_an_exercise_of_each_kind_on_the_desk(kind, instructor, client_for):
    response = client_for(instructor).post("/training/exercises/", form(kind))
    authored = AuthoredExercise.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/exercises/{authored.pk}/"
    version = authored.versions.get()
    assert (authored.kind, authored.author, version.number, version.title) == (kind, instructor, 1,
                                                                               "Written on the desk")
    sample = shipped_exercises()[SAMPLES[kind]]
    # Kinds whose key the product computes keep the computed one (with its explanations): the same here.
    assert version.key == dict(sample.key) and version.setup == dict(sample.setup)
    event = AuditEvent.objects.get(object_type="training_exercise")
    assert (event.action, event.object_id, event.detail["version"]) == ("create", authored.exercise_id, 1)


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_key_of_each_kind_is_refused_by_name_and_nothing_is_saved(kind, instructor, client_for):
    bad_key, named = MALFORMED[kind]
    response = client_for(instructor).post("/training/exercises/", form(kind, key=bad_key))
    page = response.content.decode()
    assert response.status_code == 400 and "Nothing was saved" in page
    assert named in page.replace("&#x27;", "'").replace("&quot;", '"'), page[:3000]
    assert not AuthoredExercise.objects.exists() and not AuthoredVersion.objects.exists()
    assert not AuditEvent.objects.filter(object_type="training_exercise").exists()


def test_a_key_the_filing_desk_disagrees_with_is_refused_naming_the_task(instructor, client_for):
    key = dict(shipped_exercises()["filing-01"].key)
    key["t1"] = list(reversed(key["t1"]))
    response = client_for(instructor).post("/training/exercises/", form("filing", key=key))
    page = response.content.decode()
    assert response.status_code == 400 and "Task t1: terminal digit order" in page and "earns" in page
    assert not AuthoredExercise.objects.exists()


def test_an_abstracting_key_whose_drg_the_grouper_does_not_give_is_refused(instructor):
    key = dict(shipped_exercises()["abstracting-01"].key) | {"drg": "291"}
    with pytest.raises(ChartdeskError, match="Answer key: .*You gave MS-DRG 291; the stay groups to MS-DRG 292"):
        author(instructor, "abstracting", key=key)
    assert not AuthoredExercise.objects.exists()


def test_json_that_does_not_parse_and_unknown_competencies_are_named(instructor, client_for):
    client = client_for(instructor)
    broken = form("filing") | {"key": '{"t1": ['}
    response = client.post("/training/exercises/", broken)
    assert response.status_code == 400 and "Answer key is not JSON" in response.content.decode()
    with pytest.raises(ChartdeskError, match="Competencies: Juggling is not on the competency list"):
        author(instructor, competencies=["Juggling"])
    assert not AuthoredExercise.objects.exists()
    assert "AHIMA RHIT Domain 1: Data content, structure and information governance" in competency_list()


@pytest.mark.parametrize("role", [role.slug for role in MAIN_ROLES if role.slug != "instructor"])
def test_only_instructors_author_exercises(db, role, client_for):
    user = factories.make_user(role)
    assert client_for(user).post("/training/exercises/", form("filing")).status_code == refused_on_the_desk(role)
    with pytest.raises(PermissionRefused):
        author(user)
    assert not AuthoredExercise.objects.exists()


def test_another_instructor_can_neither_open_edit_nor_retire_it(instructor, client_for):
    authored = author(instructor)
    other = client_for(factories.make_user("instructor", username="prof-other"))
    assert other.get(f"/training/exercises/{authored.pk}/").status_code == 404
    assert other.post(f"/training/exercises/{authored.pk}/", form("filing", title="Mine now")).status_code == 404
    assert other.post(f"/training/exercises/{authored.pk}/retire/").status_code == 404
    assert authored.versions.count() == 1 and AuthoredExercise.objects.get().retired_at is None


def _grade_cli(exercise_id: str, answer: dict[str, Any], tmp_path: Any, *extra: str) -> dict[str, Any]:
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer))
    out = io.StringIO()
    call_command("training", "grade", exercise_id, str(path), "--json", *extra, stdout=out)
    return json.loads(out.getvalue())


def test_an_authored_exercise_is_listed_and_graded_by_the_cli(instructor, tmp_path):
    authored = author(instructor, title="Terminal digit, my shelf")
    out = io.StringIO()
    call_command("training", "exercises", "--kind", "filing", "--json", stdout=out)
    rows = {row["id"]: row for row in json.loads(out.getvalue())}
    assert rows[authored.exercise_id] == {
        "id": authored.exercise_id, "kind": "filing", "title": "Terminal digit, my shelf",
        "competencies": list(shipped_exercises()["filing-01"].competencies), "version": 1}
    key = dict(shipped_exercises()["filing-01"].key)
    assert _grade_cli(authored.exercise_id, key, tmp_path)["score"] == 1.0
    half = key | {"m1": []}
    graded = _grade_cli(authored.exercise_id, half, tmp_path)
    assert graded["possible"] == len(key) and graded["earned"] == len(key) - 1


def test_a_student_does_an_authored_drill_on_the_desk_and_is_graded(enrollment, student, instructor, client_for):
    items = [{"term": "brady-", "meaning": "slow", "also": []}, {"term": "tachy-", "meaning": "fast", "also": []}]
    authored = author(instructor, "terminology", setup={}, key={"items": items})
    client = client_for(student)
    started = client.post(f"/training/enrollment/{enrollment.pk}/exercise/{authored.exercise_id}/")
    attempt = Attempt.objects.get()
    assert started["Location"] == f"/training/attempt/{attempt.pk}/"
    page = client.get(started["Location"]).content.decode()
    fields = dict((term, number) for number, term in re.findall(r'name="term_(\d+)" value="([^"]+)"', page))
    assert set(fields) == {"brady-", "tachy-"}
    client.post(started["Location"], {f"term_{fields['brady-']}": "brady-", f"meaning_{fields['brady-']}": "slow",
                                      f"term_{fields['tachy-']}": "tachy-", f"meaning_{fields['tachy-']}": "slow"})
    attempt.refresh_from_db()
    assert (attempt.exercise_id, attempt.exercise_version, attempt.score) == (authored.exercise_id, 1, 0.5)


def test_an_edit_is_a_new_version_and_attempts_keep_theirs(enrollment, student, instructor, client_for, tmp_path):
    authored = author(instructor)
    v1 = actions.do_start_attempt(enrollment, _exercise(authored.exercise_id), acting_user=student)
    key = dict(shipped_exercises()["filing-01"].key)
    actions.do_submit_attempt(v1, _exercise(authored.exercise_id), answer=key, acting_user=student)
    # Version 2: the shelf task goes, so the old full-marks answer names a task v2 does not have.
    sample = shipped_exercises()["filing-01"]
    setup = {"tasks": [task for task in sample.setup["tasks"] if task["id"] != "m1"]}
    edited = form("filing", title="Version two", setup=setup, key={k: v for k, v in key.items() if k != "m1"})
    response = client_for(instructor).post(f"/training/exercises/{authored.pk}/", edited)
    assert response.status_code == 302
    assert list(authored.versions.values_list("number", "title")) == [(1, "Written on the desk"), (2, "Version two")]
    v1.refresh_from_db()
    assert (v1.exercise_version, v1.score) == (1, 1.0)
    # The attempt's page still shows the version it was graded against.
    assert "Written on the desk" in client_for(student).get(f"/training/attempt/{v1.pk}/").content.decode()
    v2 = actions.do_start_attempt(enrollment, _exercise(authored.exercise_id), acting_user=student)
    assert v2.exercise_version == 2
    assert _grade_cli(authored.exercise_id, key, tmp_path, "--version", "1")["score"] == 1.0
    with pytest.raises(Exception, match="no task 'm1'"):
        _grade_cli(authored.exercise_id, key, tmp_path)
    # A version is never changed: the database itself refuses.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuthoredVersion.objects.filter(number=1).update(title="Rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuthoredExercise.objects.all().delete()


def _exercise(exercise_id: str) -> Any:
    from chartdesk.training.catalogue import find_exercise

    return find_exercise(exercise_id)


def test_retiring_hides_it_from_new_work_but_keeps_it(enrollment, student, instructor, client_for):
    authored = author(instructor)
    attempt = actions.do_start_attempt(enrollment, _exercise(authored.exercise_id), acting_user=student)
    response = client_for(instructor).post(f"/training/exercises/{authored.pk}/retire/")
    assert response.status_code == 302 and AuthoredExercise.objects.get().retired_at is not None
    out = io.StringIO()
    call_command("training", "exercises", "--json", stdout=out)
    assert authored.exercise_id not in {row["id"] for row in json.loads(out.getvalue())}
    student_client = client_for(student)
    assert student_client.get(f"/training/enrollment/{enrollment.pk}/exercise/{authored.exercise_id}/"
                              ).status_code == 404
    assert student_client.get(f"/training/attempt/{attempt.pk}/").status_code == 200
    with pytest.raises(ChartdeskError, match="retired"):
        actions.do_revise_exercise(AuthoredExercise.objects.get(), title="Again", competencies=list(
            shipped_exercises()["filing-01"].competencies), instructions="x", setup={}, key={}, acting_user=instructor)
    assert AuthoredExercise.objects.count() == 1 and AuthoredVersion.objects.count() == 1
