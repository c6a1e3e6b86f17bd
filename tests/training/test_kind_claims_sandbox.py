"""A student does a claims exercise in their own sandbox: the rejected claims are built there (never in the
main database), the attempt's page links to each claim's real page, the student corrects them on the
billing desk and hands in, and the grade is read from the sandbox's claims."""

from __future__ import annotations

import pytest

from chartdesk.billing.models import Claim
from chartdesk.charts.models import Encounter
from chartdesk.training import sandbox
from chartdesk.training.grading import shipped_exercises
from chartdesk.training.kinds import claims_desk
from chartdesk.training.models import Attempt
from tests.training.test_kind_claims_desk import desk_posts, post_all


@pytest.mark.django_db
def test_the_student_corrects_the_claims_in_their_sandbox_hands_in_and_the_main_database_never_sees_them(
        enrollment, student, other_student, course, client_for):
    exercise = shipped_exercises()["claims-01"]
    client = client_for(student)
    started = client.post(f"/training/enrollment/{enrollment.pk}/exercise/claims-01/")
    attempt = Attempt.objects.get(enrollment=enrollment, exercise_id="claims-01")
    # A kind with links to its records opens on the attempt's page, which lists them (as ROI does).
    assert started.status_code == 302 and started["Location"] == f"/training/attempt/{attempt.pk}/"
    assert not Claim.objects.exists() and not Encounter.objects.filter(reason__startswith="Training claim").exists()
    with sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox)):
        built = claims_desk.sandbox_claims(exercise)
        numbers = {label: claim.claim_number for label, claim in built.items()}
        posts = desk_posts(built["C1"], [{"field": "diagnoses", "value": ["M54.50"]},
                                         {"field": "units", "line": 1, "value": 1}])
        posts += desk_posts(built["C2"], [{"field": "member_id", "value": "PCG277173958"}])
    page = client.get(f"/training/attempt/{attempt.pk}/").content.decode()
    for label, claim in built.items():
        assert f'href="/billing/claim/{claim.pk}/">Claim {label}: {numbers[label]}</a>' in page
    assert "Hand in</button>" in page and "Your answer" not in page
    assert "member ID PCG277173958" in page  # the insurance card, a source document
    claim_page = client.get(f"/billing/claim/{built['C1'].pk}/").content.decode()
    assert "99203 has no units." in claim_page
    post_all(client, posts)

    # Another student of the course sees none of it (their sandbox is another database).
    theirs = client_for(other_student)
    from chartdesk.training.actions import do_join_course

    do_join_course(course.join_code, acting_user=other_student)
    assert numbers["C1"] not in theirs.get("/billing/claims/").content.decode()

    handed_in = client.post(f"/training/attempt/{attempt.pk}/")
    assert handed_in.status_code == 302
    attempt.refresh_from_db()
    # C1 and C2 corrected (3 + 2 points), C3 untouched: its two fixes missed, nothing right changed (1).
    assert (attempt.earned, attempt.possible) == (6.0, 8.0)
    assert attempt.answer["claims"]["C2"] == [{"field": "member_id", "value": "PCG277173958"}]
    assert attempt.answer["claims"]["C3"] == []
    assert not Claim.objects.exists()
