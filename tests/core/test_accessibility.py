"""Accessibility of the desk's shared pieces: ARIA that points at something real, result lists
without listbox roles they do not implement, and a focus ring that can be seen."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.support import factories


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described: list[str] = []
        self.selected: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        self.described += (values.get("aria-describedby") or "").split()
        if "aria-selected" in values:
            self.selected.append(f"<{tag} role={values.get('role')}>")


def missing_described_targets(html: str) -> list[str]:
    page = _Ids()
    page.feed(html)
    return [target for target in page.described if target not in page.ids]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "url", "method", "data"), [
    ("registrar", "patients-register", "post", {}),
    ("registrar", "patients-register", "post", {"given_name": "Ana", "family_name": "Costa", "sex": "F",
                                                "birth_date": "02/30/1988", "ssn": "12"}),
    ("coder", "coding-check", "get", {"codes": "", "service_date": "not a date", "age": "200"}),
    ("registrar", "filing-pick-list", "get", {"day": "someday"}),
])
def test_after_a_failed_submit_every_aria_describedby_points_at_an_element(role, url, method, data, client_for):
    client = client_for(factories.make_user(role))
    response = getattr(client, method)(reverse(url), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert missing_described_targets(html) == []


@pytest.mark.django_db
def test_the_merge_confirmation_error_is_what_its_checkbox_describes(client_for):
    him = factories.make_user("him_manager")
    survivor = factories.make_patient("Maria", "Garcia", birth_date=date(1975, 6, 1))
    retired = factories.make_patient("Mary", "Garcia", birth_date=date(1975, 6, 1))
    url = reverse("patients-merge-compare", kwargs={"patient_id": survivor.pk, "duplicate_id": retired.pk})
    response = client_for(him).post(url, {"reason": "", "survivor_revision": survivor.revision,
                                          "retired_revision": retired.revision})
    assert response.status_code == 400
    assert missing_described_targets(response.content.decode()) == []


@pytest.mark.django_db
def test_search_results_are_plain_links_without_listbox_aria(client_for):
    factories.make_patient("Maria", "Garcia")
    html = client_for(factories.make_user("registrar")).get(reverse("patients-search"), {"q": "Garcia"}).content
    page = _Ids()
    page.feed(html.decode())
    assert b"Garcia, Maria" in html
    assert page.selected == []
    assert b'role="listbox"' not in html and b'role="option"' not in html


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_ring_has_3_to_1_contrast_on_every_background_it_meets():
    css = open(finders.find("chartdesk/desk.css")).read()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    light_backgrounds = ["#ffffff", colours["paper"], colours["card"], colours["accent-soft"], colours["ok-soft"],
                         colours["warn-soft"], colours["danger-soft"], colours["restricted-soft"], "#eef1f5"]
    for background in light_backgrounds:
        assert contrast(colours["focus"], background) >= 3, background
    topbar = re.search(r"\.topbar \{[^}]*background: (#[0-9a-fA-F]{6})", css).group(1)
    assert ".topbar :focus-visible { outline-color: var(--focus-on-dark); }" in css
    assert contrast(colours["focus-on-dark"], topbar) >= 3
