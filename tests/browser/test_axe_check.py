"""The axe-core check every browser test gets is live: a page with a known violation is caught,
with its rule, page and element named (so a clean run of the other tests means something)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, watch_accessibility

pytestmark = pytest.mark.browser


def test_a_page_with_an_unlabelled_image_and_field_fails_the_check(browser, server):
    context = browser.new_context()
    try:
        found = watch_accessibility(context)
        page = context.new_page()
        # The log-in page is clean; take away its labels and add an image without alternative text.
        page.goto(server.url("/accounts/login/"))
        assert_accessible(page, found)
        page.route(server.url("/accounts/login/?broken=1"), lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
                 '<h1>Broken</h1><img src="/static/chartdesk/favicon.svg"><input id="nameless"></main></body></html>'))
        page.goto(server.url("/accounts/login/?broken=1"))
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page, found)
        message = str(failure.value)
        assert "/accounts/login/?broken=1: image-alt (critical)" in message
        assert "label (critical)" in message and "#nameless" in message
    finally:
        context.close()
