"""Every page's head: a favicon that exists, and nothing the Content-Security-Policy refuses."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_log_in_page_links_a_favicon_that_ships_in_static(client):
    page = client.get("/accounts/login/").content.decode()
    icon = re.search(r'<link rel="icon" href="/static/([^"]+)" type="image/svg\+xml">', page)
    assert icon, "the page links an icon"
    assert finders.find(icon.group(1)), icon.group(1)
    assert finders.find(icon.group(1)).endswith("favicon.svg")


def test_htmx_is_told_not_to_inject_its_inline_indicator_style(client):
    """htmx 2 adds a <style> element unless configured not to; the CSP (style-src 'self') refuses it."""
    response = client.get("/accounts/login/")
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    page = response.content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in page
    assert "<style" not in page and ' style="' not in page


def test_desk_css_carries_the_indicator_styles_htmx_would_have_injected():
    css = open(finders.find("chartdesk/desk.css")).read()
    assert ".htmx-indicator" in css and ".htmx-request .htmx-indicator" in css
