from datetime import date

import pytest
from django.db import DatabaseError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import DocumentVersion
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound, PermissionRefused
from chartdesk.patients.actions import do_add_phone, do_grant_chart_access, do_set_restriction, do_update_demographics
from chartdesk.patients.merge_actions import do_merge_patients, do_unmerge_patients
from chartdesk.patients.merging import KEEP, MOVE, merge_policy, patient_links, register_merge_policy
from chartdesk.patients.models import (
    IdentifierType,
    MergeMove,
    NameUse,
    Patient,
    PatientIdentifier,
    PatientName,
    PatientPhone,
    PatientStatus,
)
from chartdesk.patients.search import search_patients
from tests.patients.merge_support import full_chart, record_sets, signed_note, without_rows_added_by
from tests.support import factories

ALL_ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "him_manager",
             "privacy_officer", "administrator"]
OUR_APPS = {"patients", "charts"}


@pytest.fixture
def him(db):
    return factories.make_user("him_manager")


@pytest.fixture
def doctor(db):
    user = factories.make_user("provider")
    factories.make_provider(user=user)
    return user


@pytest.fixture
def pair(him, doctor):
    grantee = factories.make_user("coder")
    survivor = full_chart("Maria", "Garcia", him=him, provider_user=doctor)
    retired = full_chart("Mary", "Garcia", him=him, provider_user=doctor, grantee=grantee)
    return survivor, retired


def test_a_merge_moves_every_kind_of_record_of_the_retired_chart_onto_the_survivor(pair, him):
    survivor, retired = pair
    before = record_sets(survivor, retired)
    movable = [link for link in patient_links() if merge_policy(link.model, link.field.name) != KEEP]
    # The fixture really exercises every kind our apps have (other apps' kinds move the same way).
    assert [link.key for link in movable if link.model._meta.app_label in OUR_APPS
            and not before[(retired.pk, link.key)]] == []
    legal_name = PatientName.objects.get(patient=retired, use=NameUse.OFFICIAL, active=True).pk

    event = do_merge_patients(survivor, retired, reason="Duplicate review case 41", acting_user=him)

    after = record_sets(survivor, retired)
    for link in movable:
        kept = {legal_name} if link.key == "patients.PatientName.patient" else set()
        assert after[(retired.pk, link.key)] == kept, link.key
        added = {int(pk) for pk in MergeMove.objects.filter(merge=event, kind="added", model_label=link.label)
                 .values_list("object_pk", flat=True)}
        assert after[(survivor.pk, link.key)] == (
            before[(survivor.pk, link.key)] | before[(retired.pk, link.key)] - kept | added
        ), link.key
    moved = set(event.moves.filter(kind="moved").values_list("model_label", "object_pk"))
    assert {("charts.Document", str(pk)) for pk in before[(retired.pk, "charts.Document.patient")]} <= moved
    assert event.moved_counts["charts.Document.patient"] == 1
    assert event.moved_counts["charts.Encounter.patient"] == 1
    assert event.moved_counts["patients.ChartAccessGrant.patient"] == 1


def test_the_retired_record_stays_merged_and_its_mrn_and_name_still_find_the_survivor(pair, him):
    survivor, retired = pair
    do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    retired.refresh_from_db()
    assert (retired.status, retired.merged_into_id) == (PatientStatus.MERGED, survivor.pk)
    hits = search_patients(him, retired.mrn)
    assert [hit.patient.pk for hit in hits] == [survivor.pk]
    assert PatientIdentifier.objects.get(patient=survivor, type=IdentifierType.RETIRED_MRN).value == retired.mrn
    assert PatientName.objects.filter(patient=survivor, use=NameUse.ALIAS, given_name="Mary", active=True).exists()
    assert survivor.pk in [hit.patient.pk for hit in search_patients(him, "Mary Garcia")]


def test_an_unmerge_puts_back_exactly_what_the_merge_moved(pair, him):
    survivor, retired = pair
    before = record_sets(survivor, retired)
    event = do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    do_unmerge_patients(event, reason="Two different people after all", acting_user=him)

    assert MergeMove.objects.filter(merge=event, kind="added").count() == 2  # alias name and retired MRN
    assert without_rows_added_by(record_sets(survivor, retired), [event]) == before
    retired.refresh_from_db()
    assert (retired.status, retired.merged_into_id) == (PatientStatus.ACTIVE, None)
    assert not PatientName.objects.filter(patient=survivor, use=NameUse.ALIAS, active=True).exists()
    assert not PatientIdentifier.objects.filter(patient=survivor, type=IdentifierType.RETIRED_MRN,
                                                active=True).exists()
    assert [hit.patient.pk for hit in search_patients(him, retired.mrn)] == [retired.pk]
    event.refresh_from_db()
    assert event.is_undone and event.unmerge_reason == "Two different people after all" and event.review == []


def test_only_the_rows_the_merge_added_stay_on_the_survivor_after_unmerge_and_they_are_listed(pair, him, doctor):
    survivor, retired = pair
    event = do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    survivor.refresh_from_db()
    late_phone = do_add_phone(survivor, use="work", number="2175550999", acting_user=him)
    late_note = signed_note(survivor, doctor, title="After the merge")

    do_unmerge_patients(event, reason="Not the same", acting_user=him)

    assert PatientPhone.objects.get(pk=late_phone.pk).patient_id == survivor.pk
    late_note.refresh_from_db()
    assert late_note.patient_id == survivor.pk
    event.refresh_from_db()
    listed = {(item["label"], item["pk"]) for item in event.review}
    assert {("patients.PatientPhone", str(late_phone.pk)), ("charts.Document", str(late_note.pk)),
            ("charts.Encounter", str(late_note.encounter_id))} <= listed
    assert all(label != "patients.PatientIdentifier" for label, _ in listed)  # the retracted RMRN is not "new"


def test_a_merge_leaves_signed_content_frozen(pair, him):
    survivor, retired = pair
    version = DocumentVersion.objects.get(document__patient=retired)
    do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    assert version.document.__class__.objects.get(pk=version.document_id).patient_id == survivor.pk
    with pytest.raises(DatabaseError), transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).update(text="rewritten")
    assert DocumentVersion.objects.get(pk=version.pk).text == version.text


def test_merge_and_unmerge_are_audited_on_both_charts(pair, him):
    survivor, retired = pair
    event = do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    merged = AuditEvent.objects.filter(object_type="patient_merge", object_id=str(event.pk))
    assert sorted(merged.values_list("patient_mrn", flat=True)) == sorted([survivor.mrn, retired.mrn])
    assert all(row.detail["moved"]["charts.Document.patient"] == 1 and row.username == him.username
               for row in merged)
    do_unmerge_patients(event, reason="Not the same", acting_user=him)
    unmerged = AuditEvent.objects.filter(object_type="patient_unmerge", object_id=str(event.pk))
    assert sorted(unmerged.values_list("patient_mrn", flat=True)) == sorted([survivor.mrn, retired.mrn])


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_him_managers_may_merge(role, db):
    user = factories.make_user(role)
    a, b = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    if role == "him_manager":
        assert do_merge_patients(a, b, reason="Same person", acting_user=user).survivor_id == a.pk
    else:
        with pytest.raises(PermissionRefused):
            do_merge_patients(a, b, reason="Same person", acting_user=user)
        assert Patient.objects.get(pk=b.pk).status == PatientStatus.ACTIVE


def test_a_patient_cannot_be_merged_into_itself(him):
    a = factories.make_patient("Ann", "Lee")
    with pytest.raises(ChartdeskError, match="cannot be merged into itself"):
        do_merge_patients(a, a, reason="Oops", acting_user=him)


def test_merged_records_cannot_be_merged_again_nor_merged_into(him):
    a, b, c = (factories.make_patient("Ann", name) for name in ("Lee", "Li", "Leigh"))
    do_merge_patients(a, b, reason="Same person", acting_user=him)
    b.refresh_from_db()
    with pytest.raises(ChartdeskError, match=f"MRN {b.mrn} was already merged"):
        do_merge_patients(c, b, reason="Again", acting_user=him)
    with pytest.raises(ChartdeskError, match=f"merged into MRN {a.mrn}: merge into that record"):
        do_merge_patients(b, c, reason="Into merged", acting_user=him)


def test_differently_restricted_charts_are_refused(him):
    a, b = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    do_set_restriction(b, restriction="vip", acting_user=him)
    do_grant_chart_access(b, him, reason="duplicate review", acting_user=him)
    b.refresh_from_db()
    with pytest.raises(ChartdeskError, match="restricted differently"):
        do_merge_patients(a, b, reason="Same person", acting_user=him)
    assert not PatientIdentifier.objects.filter(patient=a, type=IdentifierType.RETIRED_MRN).exists()
    assert Patient.objects.get(pk=b.pk).status == PatientStatus.ACTIVE


def test_a_stale_revision_is_refused(him):
    a, b = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    stale_b = Patient.objects.get(pk=b.pk)
    do_update_demographics(b, {"email": "anne@example.org"}, expected_revision=b.revision, acting_user=him)
    with pytest.raises(ConcurrentChange):
        do_merge_patients(a, stale_b, reason="Same person", acting_user=him)
    assert Patient.objects.get(pk=b.pk).status == PatientStatus.ACTIVE


def test_restricted_charts_the_manager_may_not_open_answer_not_found(him, db):
    officer = factories.make_user("privacy_officer")
    a, b = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    for patient in (a, b):
        do_set_restriction(patient, restriction="employee", acting_user=officer)
        patient.refresh_from_db()
    with pytest.raises(NotFound):
        do_merge_patients(a, b, reason="Same person", acting_user=him)


def test_an_unmerge_that_a_later_merge_depends_on_is_refused(him):
    a, b, c = (factories.make_patient("Ann", name) for name in ("Lee", "Li", "Leigh"))
    first = do_merge_patients(b, c, reason="Same person", acting_user=him)
    second = do_merge_patients(a, b, reason="Same person", acting_user=him)
    with pytest.raises(ChartdeskError, match=f"undo merge #{second.pk}"):
        do_unmerge_patients(first, reason="Wrong", acting_user=him)
    do_unmerge_patients(second, reason="Wrong", acting_user=him)
    do_unmerge_patients(first, reason="Wrong too", acting_user=him)
    with pytest.raises(ChartdeskError, match="already undone"):
        do_unmerge_patients(first, reason="Again", acting_user=him)
    assert set(Patient.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("status", flat=True)) == {"active"}


def test_a_merge_needs_a_reason(him):
    a, b = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    with pytest.raises(ChartdeskError, match="Reason"):
        do_merge_patients(a, b, reason="  ", acting_user=him)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    phones=st.lists(st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from(["home", "mobile", "work"])), max_size=5),
    merges=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=3),
)
def test_merges_followed_by_their_unmerges_leave_every_record_set_as_it_was(phones, merges):
    him = factories.make_user("him_manager")
    people = [factories.make_patient("Sam", name, birth_date=date(1990, 1, 1)) for name in ("Ray", "Rey", "Wray")]
    for owner, use in phones:
        do_add_phone(people[owner], use=use, number=f"21755{people[owner].pk % 100:02d}{len(use):03d}",
                     acting_user=him)
    before = record_sets(*people)
    done = []
    for survivor, retired in merges:
        a, b = (Patient.objects.get(pk=people[index].pk) for index in (survivor, retired))
        try:
            done.append(do_merge_patients(a, b, reason="Property test", acting_user=him))
        except ChartdeskError:
            continue  # itself, or an already merged record: refused, nothing changed
    for event in reversed(done):
        do_unmerge_patients(event, reason="Undo", acting_user=him)
    assert without_rows_added_by(record_sets(*people), done) == before
    assert set(Patient.objects.filter(pk__in=[p.pk for p in people]).values_list("status", flat=True)) == {"active"}


def test_equally_restricted_charts_merge_and_their_grants_move_to_the_survivor(him):
    nurse = factories.make_user("coder")
    a, b = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    for patient in (a, b):
        do_set_restriction(patient, restriction="employee", acting_user=him)
        do_grant_chart_access(patient, him, reason="duplicate review", acting_user=him)
        patient.refresh_from_db()
    grant = do_grant_chart_access(b, nurse, reason="care team", acting_user=him)
    do_merge_patients(a, b, reason="Same person", acting_user=him)
    grant.refresh_from_db()
    assert grant.patient_id == a.pk


def test_an_unmerge_is_refused_while_a_later_merge_moved_the_same_rows(him):
    a, b, c, d = (factories.make_patient("Ann", name) for name in ("Lee", "Li", "Leigh", "Lea"))
    phone = do_add_phone(c, use="home", number="2175550111", acting_user=him)
    first = do_merge_patients(b, c, reason="Same person", acting_user=him)
    # Another app's correction moved the phone on (a misfiled record refiled to A)...
    PatientPhone.objects.filter(pk=phone.pk).update(patient=a)
    a.refresh_from_db()
    d.refresh_from_db()
    # ...and A was then merged into D, moving it again.
    second = do_merge_patients(d, a, reason="Same person", acting_user=him)
    with pytest.raises(ChartdeskError, match=f"undo merge #{second.pk}"):
        do_unmerge_patients(first, reason="Wrong", acting_user=him)


def test_a_moved_row_that_has_since_left_the_survivor_stays_where_it_is_and_is_listed(him):
    a, b, c = (factories.make_patient("Ann", name) for name in ("Lee", "Li", "Leigh"))
    phone = do_add_phone(c, use="home", number="2175550111", acting_user=him)
    event = do_merge_patients(b, c, reason="Same person", acting_user=him)
    PatientPhone.objects.filter(pk=phone.pk).update(patient=a)
    do_unmerge_patients(event, reason="Wrong", acting_user=him)
    assert PatientPhone.objects.get(pk=phone.pk).patient_id == a.pk
    event.refresh_from_db()
    assert [(item["label"], item["pk"]) for item in event.review] == [("patients.PatientPhone", str(phone.pk))]


def test_a_merge_refused_halfway_leaves_everything_where_it_was(pair, him):
    survivor, retired = pair
    before = record_sets(survivor, retired)

    def refuse(rows):
        raise ChartdeskError("Phones cannot move today.")

    # Links are walked in label order: charts' encounters and documents have moved by then.
    register_merge_policy("patients.PatientPhone", "patient", refuse)
    try:
        with pytest.raises(ChartdeskError, match="Phones cannot move today"):
            do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    finally:
        register_merge_policy("patients.PatientPhone", "patient", MOVE)
    assert record_sets(survivor, retired) == before
    assert Patient.objects.get(pk=retired.pk).status == PatientStatus.ACTIVE
    assert not MergeMove.objects.exists()
    assert not AuditEvent.objects.filter(object_type="patient_merge").exists()
