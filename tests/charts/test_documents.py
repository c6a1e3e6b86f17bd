"""Notes, drafts, signatures, corrections, addenda and retraction: the rules of the legal record."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.charts.actions import (
    do_add_addendum,
    do_correct_document,
    do_create_note,
    do_edit_draft,
    do_retract_document,
    do_sign_addendum,
    do_sign_document,
)
from chartdesk.charts.models import Document, DocumentStatus, DocumentType, DocumentVersion
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, ImmutableRecord, PermissionRefused
from tests.charts.conftest import fresh, image_bytes, pdf_bytes, upload
from tests.support import factories

ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "him_manager", "privacy_officer",
         "administrator"]


def note(patient, user, day, **fields):
    values = {"document_type": DocumentType.CONSULT_NOTE, "title": "Cardiology consult", "text": "Seen at request.",
              "service_date": day, "acting_user": user}
    values.update(fields)
    return do_create_note(patient, **values)


# ----------------------------------------------------------------------------- writing notes


def test_a_new_note_is_a_preliminary_document_with_version_1(draft, author, encounter):
    assert draft.status == DocumentStatus.PRELIMINARY
    assert draft.revision == 1
    assert draft.author == author.provider
    assert draft.encounter == encounter
    version = draft.current_version
    assert (version.number, version.text, version.created_by) == (
        1, "Afebrile.\nAmbulating.\nPlan: continue antibiotics.", author)
    assert version.signed_at is None
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="document")
    assert (event.object_id, event.patient_id, event.user_id) == (str(draft.pk), draft.patient_id, author.pk)


def test_a_provider_writing_a_note_is_its_author_by_default(patient, author, yesterday):
    assert note(patient, author, yesterday).author == author.provider


def test_a_transcriptionists_note_has_no_author_until_signed(patient, users, yesterday):
    assert note(patient, users["transcriptionist"], yesterday).author is None


@pytest.mark.parametrize("role", ROLES)
def test_only_roles_with_write_note_may_write_notes(role, patient, users, yesterday):
    allowed = role in {"transcriptionist", "provider"}
    if allowed:
        assert note(patient, users[role], yesterday).status == DocumentStatus.PRELIMINARY
    else:
        with pytest.raises(PermissionRefused, match="You do not have permission to write notes."):
            note(patient, users[role], yesterday)
        assert Document.objects.count() == 0


def test_a_service_date_after_today_is_refused(patient, author):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ChartdeskError) as refused:
        note(patient, author, tomorrow)
    assert refused.value.message == f"The service date {tomorrow.isoformat()} is after today."
    assert refused.value.field == "service_date"
    assert Document.objects.count() == 0


def test_a_service_date_before_birth_is_refused(patient, author):
    with pytest.raises(ChartdeskError, match=r"The service date 1979-01-01 is before the patient's date of birth"):
        note(patient, author, patient.birth_date.replace(year=1979, month=1, day=1))


def test_a_note_cannot_be_filed_on_another_patients_encounter(patient, author, yesterday, users):
    other = factories.make_patient("John", "Other", sex="M")
    elsewhere = factories.make_encounter(other, acting_user=users["registrar"])
    with pytest.raises(ChartdeskError, match=f"The encounter {elsewhere.account_number} belongs to another patient."):
        note(patient, author, yesterday, encounter=elsewhere)
    assert Document.objects.count() == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "  ", "Give the document a title."),
    ("text", "", "Write the text of the note."),
    ("document_type", "12345-6", "Choose the document type from the list."),
])
def test_missing_or_unknown_note_fields_are_refused(patient, author, yesterday, field, value, message):
    with pytest.raises(ChartdeskError) as refused:
        note(patient, author, yesterday, **{field: value})
    assert (refused.value.field, refused.value.message) == (field, message)


# ----------------------------------------------------------------------------- drafts and signing


def test_editing_a_draft_adds_a_version_and_keeps_the_first(draft, users):
    edited = do_edit_draft(draft, text="Afebrile.\nWalking the hall.", acting_user=users["transcriptionist"],
                           expected_revision=1)

    assert edited.revision == 2
    assert list(edited.versions.values_list("number", "text")) == [
        (1, "Afebrile.\nAmbulating.\nPlan: continue antibiotics."), (2, "Afebrile.\nWalking the hall.")]
    assert edited.current_version.number == 2


def test_a_draft_edit_with_a_stale_revision_is_refused(draft, users):
    do_edit_draft(draft, text="First edit", acting_user=users["transcriptionist"], expected_revision=1)
    with pytest.raises(ConcurrentChange, match="changed by someone else"):
        do_edit_draft(draft, text="Second edit", acting_user=users["provider"], expected_revision=1)
    assert DocumentVersion.objects.filter(document=draft).count() == 2


def test_signing_freezes_the_version_with_the_attestation(draft, author):
    signed = do_sign_document(draft, acting_user=author)

    version = signed.current_version
    assert signed.status == DocumentStatus.FINAL
    assert signed.revision == 2
    assert version.signed_by == author
    stamp = version.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert version.attestation == f"Electronically signed by Ada Lovelace, MD on {stamp} UTC"
    event = AuditEvent.objects.get(action=AuditAction.SIGN)
    assert (event.object_type, event.object_id, event.detail["version"]) == ("document", str(signed.pk), 1)


def test_the_signer_may_add_their_own_attestation(draft, author):
    signed = do_sign_document(draft, acting_user=author, attestation="I personally examined the patient.")
    assert signed.current_version.attestation.endswith("UTC\nI personally examined the patient.")


def test_a_signed_document_cannot_be_edited_as_a_draft(signed, author):
    with pytest.raises(ChartdeskError, match="This document is signed and cannot be edited"):
        do_edit_draft(signed, text="Changed", acting_user=author, expected_revision=signed.revision)


def test_a_signed_version_cannot_be_signed_again(signed, author):
    with pytest.raises(ChartdeskError, match="already signed"):
        do_sign_document(signed, acting_user=author)


def test_only_the_author_signs_a_document_with_an_author(draft, other_provider):
    with pytest.raises(PermissionRefused, match="Only the author, Ada Lovelace, MD, can sign this document."):
        do_sign_document(draft, acting_user=other_provider)
    draft.refresh_from_db()
    assert draft.status == DocumentStatus.PRELIMINARY


def test_any_provider_signs_a_document_without_an_author_and_becomes_its_author(patient, users, other_provider,
                                                                                  yesterday):
    transcribed = note(patient, users["transcriptionist"], yesterday)
    signed = do_sign_document(transcribed, acting_user=other_provider)
    assert signed.author == other_provider.provider
    assert signed.current_version.attestation.startswith("Electronically signed by Grace Hopper, DO on ")


def test_a_provider_role_user_without_a_clinician_record_cannot_sign(patient, users, yesterday):
    transcribed = note(patient, users["transcriptionist"], yesterday)
    with pytest.raises(PermissionRefused, match="Only a provider linked to your log-in can sign"):
        do_sign_document(transcribed, acting_user=users["provider"])


@pytest.mark.parametrize("role", [role for role in ROLES if role != "provider"])
def test_no_other_role_may_sign(role, draft, users):
    with pytest.raises(PermissionRefused, match="You do not have permission to sign documents."):
        do_sign_document(draft, acting_user=users[role])
    assert DocumentVersion.objects.get(document=draft).signed_at is None


def test_a_signing_with_a_stale_revision_is_refused(draft, author, users):
    do_edit_draft(draft, text="Edited meanwhile", acting_user=users["transcriptionist"], expected_revision=1)
    with pytest.raises(ConcurrentChange):
        do_sign_document(draft, acting_user=author, expected_revision=1)
    assert not DocumentVersion.objects.filter(document=draft, signed_at__isnull=False).exists()


# ----------------------------------------------------------------------------- corrections, addenda, retraction


def test_a_correction_is_a_new_signed_version_with_its_reason_and_the_old_one_stays(signed, author):
    original = signed.current_version
    corrected = do_correct_document(signed, reason="Wrong antibiotic named", acting_user=author,
                                    expected_revision=signed.revision, text="Afebrile.\nPlan: continue ceftriaxone.")

    assert corrected.status == DocumentStatus.AMENDED
    new = corrected.current_version
    assert (new.number, new.change_reason, new.created_by) == (2, "Wrong antibiotic named", author)
    assert new.is_signed
    original.refresh_from_db()
    assert original.text == "Afebrile.\nAmbulating.\nPlan: continue antibiotics."
    assert original.is_signed
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="document")
    assert event.detail["reason"] == "Wrong antibiotic named"
    assert (event.detail["version"], event.detail["previous_version"]) == (2, 1)


def test_a_transcriptionists_correction_waits_for_the_authors_signature(signed, users, author):
    corrected = do_correct_document(signed, reason="Typo in plan", acting_user=users["transcriptionist"],
                                    expected_revision=signed.revision, text="Plan: continue antibiotics today.")
    assert corrected.status == DocumentStatus.AMENDED
    assert not corrected.current_version.is_signed

    resigned = do_sign_document(corrected, acting_user=author)
    assert resigned.status == DocumentStatus.AMENDED
    assert resigned.current_version.is_signed


def test_a_correction_may_replace_the_file(patient, users, author, yesterday):
    from chartdesk.charts.actions import do_upload_document

    scanned = do_upload_document(patient, upload=upload("page.png", image_bytes("PNG")),
                                 document_type=DocumentType.CONSENT, title="Consent", service_date=yesterday,
                                 acting_user=users["registrar"], author=author.provider)
    scanned = do_sign_document(scanned, acting_user=author)
    first = scanned.current_version

    corrected = do_correct_document(scanned, reason="Second page was missing", acting_user=author,
                                    expected_revision=scanned.revision, upload=upload("pages.pdf", pdf_bytes(2)))

    assert corrected.current_version.content_type == "application/pdf"
    assert corrected.current_version.page_count == 2
    first.refresh_from_db()
    assert first.content_type == "image/png"


def test_a_correction_needs_a_reason_and_a_change(signed, author):
    with pytest.raises(ChartdeskError, match="Give the reason for the correction."):
        do_correct_document(signed, reason=" ", acting_user=author, expected_revision=signed.revision, text="New")
    with pytest.raises(ChartdeskError, match="The text is unchanged"):
        do_correct_document(signed, reason="No change", acting_user=author, expected_revision=signed.revision,
                            text=signed.current_version.text)
    assert DocumentVersion.objects.filter(document=signed).count() == 1


def test_a_draft_is_edited_not_corrected(draft, author):
    with pytest.raises(ChartdeskError, match="This document is not signed yet: edit the draft instead."):
        do_correct_document(draft, reason="x", acting_user=author, expected_revision=draft.revision, text="New")


def test_a_correction_with_a_stale_revision_is_refused(signed, author):
    with pytest.raises(ConcurrentChange):
        do_correct_document(signed, reason="Late", acting_user=author, expected_revision=1, text="New text")
    assert DocumentVersion.objects.filter(document=signed).count() == 1


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "him_manager", "privacy_officer"])
def test_roles_without_correct_document_cannot_correct(role, signed, users):
    with pytest.raises(PermissionRefused):
        do_correct_document(signed, reason="x", acting_user=users[role], expected_revision=signed.revision, text="y")


def test_an_addendum_is_added_signed_and_leaves_the_document_unchanged(signed, other_provider):
    version = signed.current_version
    addendum = do_add_addendum(signed, text="Culture grew E. coli.", acting_user=other_provider)

    assert addendum.is_signed
    assert addendum.version == version
    assert addendum.attestation.startswith("Electronically signed by Grace Hopper, DO on ")
    version.refresh_from_db()
    assert version.text == "Afebrile.\nAmbulating.\nPlan: continue antibiotics."
    signed.refresh_from_db()
    assert (signed.status, signed.revision) == (DocumentStatus.FINAL, 3)
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="addendum").count() == 1


def test_an_unsigned_addendum_is_signed_later_by_its_writer_only(signed, author, other_provider):
    addendum = do_add_addendum(signed, text="Result pending.", acting_user=author, sign=False)
    assert not addendum.is_signed
    with pytest.raises(PermissionRefused, match="Only Ada Lovelace, MD, who wrote this addendum, can sign it."):
        do_sign_addendum(addendum, acting_user=other_provider, expected_revision=signed_revision(addendum))

    signed_addendum = do_sign_addendum(addendum, acting_user=author, expected_revision=signed_revision(addendum))
    assert signed_addendum.is_signed
    with pytest.raises(ChartdeskError, match="already signed"):
        do_sign_addendum(signed_addendum, acting_user=author, expected_revision=signed_revision(addendum))


def signed_revision(addendum):
    return type(addendum.document).objects.get(pk=addendum.document_id).revision


def test_an_addendum_needs_a_signed_document(draft, author):
    with pytest.raises(ChartdeskError, match="not signed yet"):
        do_add_addendum(draft, text="Too early", acting_user=author)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "provider"])
def test_only_providers_add_addenda(role, signed, users):
    with pytest.raises(PermissionRefused):
        do_add_addendum(signed, text="x", acting_user=users[role])


def test_retraction_keeps_the_document_readable_with_its_reason(signed, users):
    retracted = do_retract_document(signed, reason="Filed on the wrong patient", acting_user=users["registrar"])

    assert retracted.status == DocumentStatus.ENTERED_IN_ERROR
    assert retracted.retraction_reason == "Filed on the wrong patient"
    assert retracted.retracted_by == users["registrar"]
    assert retracted.current_version.text == "Afebrile.\nAmbulating.\nPlan: continue antibiotics."
    assert retracted.current_version.is_signed
    event = AuditEvent.objects.get(action=AuditAction.RETRACT)
    assert (event.object_id, event.detail["reason"], event.detail["previous_status"]) == (
        str(signed.pk), "Filed on the wrong patient", "final")


def test_a_retracted_document_cannot_change_any_more(signed, users, author):
    do_retract_document(signed, reason="Wrong patient", acting_user=users["him_manager"])
    signed.refresh_from_db()
    with pytest.raises(ChartdeskError, match="already marked entered in error"):
        do_retract_document(signed, reason="Again", acting_user=users["him_manager"])
    with pytest.raises(ChartdeskError, match="marked entered in error; it can no longer change"):
        do_add_addendum(signed, text="x", acting_user=author)
    with pytest.raises(ChartdeskError, match="marked entered in error"):
        do_correct_document(signed, reason="x", acting_user=author, expected_revision=signed.revision, text="y")


def test_retraction_needs_a_reason(signed, users):
    with pytest.raises(ChartdeskError) as refused:
        do_retract_document(signed, reason="", acting_user=users["registrar"])
    assert refused.value.field == "reason"
    signed.refresh_from_db()
    assert signed.status == DocumentStatus.FINAL


@pytest.mark.parametrize("role", ROLES)
def test_only_registrars_providers_and_him_managers_retract(role, signed, users):
    user = fresh(users[role])
    if role in {"registrar", "provider", "him_manager"}:
        assert do_retract_document(signed, reason="Wrong chart", acting_user=user).is_retracted
    else:
        with pytest.raises(PermissionRefused):
            do_retract_document(signed, reason="Wrong chart", acting_user=user)
        signed.refresh_from_db()
        assert signed.status == DocumentStatus.FINAL


# ----------------------------------------------------------------------------- immutability


def test_a_signed_version_refuses_to_change_through_the_orm(signed):
    version = DocumentVersion.objects.get(pk=signed.current_version_id)
    version.text = "Rewritten history"
    with pytest.raises(ImmutableRecord):
        version.save()
    assert DocumentVersion.objects.get(pk=version.pk).text == "Afebrile.\nAmbulating.\nPlan: continue antibiotics."


def test_a_signed_addendum_refuses_to_change_through_the_orm(signed, author):
    addendum = do_add_addendum(signed, text="Original addendum", acting_user=author)
    addendum.text = "Rewritten"
    with pytest.raises(ImmutableRecord):
        addendum.save()
