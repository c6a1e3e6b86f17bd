"""The coding desk: encoder as you type, tabular browser with every note, PCS builder, code check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
DESK_PAGES = ["/coding/encoder/?q=chf", "/coding/code/icd10cm/E11/", "/coding/pcs/", "/coding/check/",
              "/coding/releases/"]


@pytest.mark.parametrize("role", ["coder", "billing", "him_manager"])
def test_coding_roles_reach_every_desk_page(role: str, users: dict[str, Any],
                                            client_for: Callable[[Any], Client]) -> None:
    client = client_for(users[role])
    assert [client.get(page).status_code for page in DESK_PAGES] == [200] * len(DESK_PAGES)


@pytest.mark.parametrize("role", ["registrar", "transcriptionist", "roi", "administrator"])
def test_other_roles_are_refused_the_coding_desk(role: str, users: dict[str, Any],
                                                 client_for: Callable[[Any], Client]) -> None:
    client = client_for(users[role])
    assert [client.get(page).status_code for page in DESK_PAGES] == [403] * len(DESK_PAGES)


def test_the_encoder_answers_htmx_with_just_the_results(users: dict[str, Any],
                                                        client_for: Callable[[Any], Client]) -> None:
    response = client_for(users["coder"]).get("/coding/encoder/?q=dm2&system=icd10cm", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page
    assert "E11.9" in page and "Type 2 diabetes mellitus without complications" in page
    assert "Chapter 4 › E08-E13 › E11 › E11.9" in page


def test_the_tabular_browser_shows_every_note_of_the_code_and_above(users: dict[str, Any],
                                                                    client_for: Callable[[Any], Client]) -> None:
    page = client_for(users["coder"]).get("/coding/code/icd10cm/E11.9/").content.decode()
    assert "type 1 diabetes mellitus (E10.-)" in page  # Excludes1 at E11
    assert "insulin (Z79.4)" in page  # use additional code at E11
    assert "Notes at E08-E13" in page or "Notes at E11" in page
    fracture = client_for(users["coder"]).get("/coding/code/icd10cm/S72.001/").content.decode()
    assert "initial encounter for closed fracture" in fracture
    assert "This code needs a 7th character" in fracture


def test_an_unknown_code_or_system_answers_404(users: dict[str, Any], client_for: Callable[[Any], Client]) -> None:
    client = client_for(users["coder"])
    assert client.get("/coding/code/icd10cm/E11.999/").status_code == 404
    assert client.get("/coding/code/icd99/E11/").status_code == 404


def test_the_pcs_builder_offers_only_values_that_lead_to_valid_codes(users: dict[str, Any],
                                                                     client_for: Callable[[Any], Client]) -> None:
    client = client_for(users["coder"])
    table = client.get("/coding/pcs/?prefix=0DT", HTTP_HX_REQUEST="true").content.decode()
    assert "Body part" in table and "Appendix" in table
    assert "Cutting out or off, without replacement" not in table  # that is the root operation, chosen already
    approach = client.get("/coding/pcs/?prefix=0DTJ", HTTP_HX_REQUEST="true").content.decode()
    assert "Percutaneous Endoscopic" in approach and "Open" in approach
    done = client.get("/coding/pcs/?prefix=0DTJ4ZZ").content.decode()
    assert "Valid code" in done and "0DTJ4ZZ" in done
    nonsense = client.get("/coding/pcs/?prefix=0DTQQ").content.decode()
    assert "Code so far: <strong>—</strong>" in nonsense


def test_the_check_page_runs_the_validator(users: dict[str, Any], client_for: Callable[[Any], Client]) -> None:
    page = client_for(users["coder"]).get(
        "/coding/check/?codes=G63&service_date=2026-05-04&sex=&age=").content.decode()
    assert "G63 is a manifestation code and is never first-listed" in page
    refused = client_for(users["coder"]).get("/coding/check/?codes=&service_date=2026-05-04")
    assert refused.status_code == 400
    assert "Enter at least one code." in refused.content.decode()
