"""The coder's encoder in Chromium: results as the coder types, then the tabular list with its notes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_coder_types_an_abbreviation_and_opens_the_code_in_the_tabular_list(server, page, log_in):
    server.chartdesk("codes", "load", "icd10cm", "--only", "I50,I11,I13,E11")
    log_in(page, "coder")

    page.goto(server.url("/coding/encoder/"))
    page.get_by_label("Diagnosis or procedure").press_sequentially("chf", delay=40)

    first = page.locator("#encoder-results li").first
    expect(first).to_contain_text("I50.9")
    expect(first).to_contain_text("Heart failure, unspecified")
    expect(first).to_contain_text("Billable")
    first.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("I50.9 Heart failure, unspecified")
    expect(page.get_by_text("Notes at I50 Heart failure")).to_be_visible()
    expect(page.get_by_text("heart failure due to hypertension (I11.0)").first).to_be_visible()
