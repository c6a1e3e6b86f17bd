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


def test_pages_load_without_console_errors_or_a_missing_favicon(server, page, log_in):
    """No Content-Security-Policy refusal (htmx's inline indicator style) and no favicon 404."""
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    page.goto(server.url("/accounts/login/"))
    page.wait_for_load_state("networkidle")
    log_in(page, "registrar")
    page.goto(server.url("/patients/"))
    page.wait_for_load_state("networkidle")

    icon = page.eval_on_selector("link[rel=icon]", "node => node.href")
    assert page.request.get(icon).status == 200
    assert page.request.get(icon).headers["content-type"].startswith("image/svg+xml")
    assert failed == []
    assert errors == []
    assert page.evaluate("document.querySelectorAll('style').length") == 0
