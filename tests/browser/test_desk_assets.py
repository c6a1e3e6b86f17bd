"""The desk's stylesheet and scripts reach the browser (whitenoise, served by `chartdesk serve`)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_log_in_page_loads_its_stylesheet_and_scripts(server, page):
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    page.goto(server.url("/accounts/login/"))
    page.wait_for_load_state("networkidle")

    assert failed == []
    assets = page.eval_on_selector_all(
        "link[rel=stylesheet], script[src]", "nodes => nodes.map(n => n.href || n.src)"
    )
    assert any(url.endswith("desk.css") for url in assets)
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "\"Times New Roman\""
