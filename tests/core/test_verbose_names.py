"""Every model a user may see named (merge screens, history, errors) reads as English: its plural is
not the default "+s" of a word that pluralises otherwise, and no screen shows "app.Model.field"."""

from __future__ import annotations

import inflect
import pytest
from django.apps import apps
from django.urls import reverse

from chartdesk.patients.merge_actions import do_merge_patients
from tests.patients.merge_support import full_chart
from tests.support import factories

ENGLISH = inflect.engine()


def chartdesk_models():
    return [model for model in apps.get_models() if model.__module__.startswith("chartdesk.")]


def test_the_walk_sees_every_chartdesk_app():
    labels = {model._meta.app_label for model in chartdesk_models()}
    assert {"patients", "charts", "billing", "completion", "coding_workflow", "filing", "disclosures"} <= labels


@pytest.mark.parametrize("model", chartdesk_models(), ids=lambda model: model._meta.label)
def test_every_model_has_a_proper_plural(model):
    singular = str(model._meta.verbose_name)
    plural = str(model._meta.verbose_name_plural)
    if plural == f"{singular}s":
        # Django's default: right only where English agrees ("patient" -> "patients").
        assert ENGLISH.plural_noun(singular) == plural, f"{model._meta.label}: '{plural}'"
    assert not plural.endswith("ss"), f"{model._meta.label}: '{plural}'"


@pytest.mark.parametrize("model", chartdesk_models(), ids=lambda model: model._meta.label)
def test_acronyms_in_verbose_names_are_written_in_capitals(model):
    words = str(model._meta.verbose_name).split()
    for acronym in ("mrn", "api", "hl7", "x12", "pcs", "ssn", "fhir", "npi"):
        assert acronym not in words, f"{model._meta.label}: '{model._meta.verbose_name}'"


def test_the_plurals_that_were_wrong_now_read_as_english():
    assert apps.get_model("completion.Deficiency")._meta.verbose_name_plural == "deficiencies"
    assert apps.get_model("billing.LedgerEntry")._meta.verbose_name_plural == "ledger entries"
    assert apps.get_model("patients.PatientAddress")._meta.verbose_name_plural == "patient addresses"
    assert apps.get_model("billing.PlaceOfService")._meta.verbose_name_plural == "places of service"


@pytest.mark.django_db
def test_the_merge_screens_name_records_in_words_not_model_labels(client_for):
    him = factories.make_user("him_manager")
    doctor = factories.make_user("provider")
    factories.make_provider(user=doctor)
    survivor = full_chart("Maria", "Garcia", him=him, provider_user=doctor)
    retired = full_chart("Mary", "Garcia", him=him, provider_user=doctor)
    client = client_for(him)
    compare = client.get(reverse("patients-merge-compare",
                                 kwargs={"patient_id": survivor.pk, "duplicate_id": retired.pk})).content.decode()
    assert '<th scope="row">Patient addresses</th><td>1</td><td>1</td>' in compare
    do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    history = client.get(reverse("patients-merges", kwargs={"patient_id": survivor.pk})).content.decode()
    assert "<td>Documents</td><td>1</td>" in history
    assert "<td>Patient addresses</td><td>1</td>" in history
    for page in (compare, history):
        assert "charts.Document" not in page and "patients.PatientAddress" not in page
        assert "addresss" not in page and "Deficiencys" not in page
