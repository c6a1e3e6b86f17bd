"""`chartdesk serve` lets apps fill their caches at start; one app failing there never stops the rest."""

from __future__ import annotations

import logging

from django.apps import apps

from chartdesk.core.management.commands.serve import warm_up_apps


def test_every_app_warm_up_runs_and_a_failing_one_is_logged(monkeypatch, caplog):
    ran: list[str] = []

    def failing() -> None:
        ran.append("patients")
        raise RuntimeError("index file missing")

    monkeypatch.setattr(apps.get_app_config("patients"), "warm_up", failing, raising=False)
    monkeypatch.setattr(apps.get_app_config("coding"), "warm_up", lambda: ran.append("coding"))

    with caplog.at_level(logging.ERROR, logger="chartdesk.serve"):
        warm_up_apps()

    assert ran == ["patients", "coding"]  # settings order; the failure did not stop coding's
    assert "warming up patients failed" in caplog.text


def test_the_coding_app_warms_the_suggestion_dictionary():
    from chartdesk.coding.suggest.lexicon import load_lexicon

    load_lexicon.cache_clear()
    apps.get_app_config("coding").warm_up()
    assert load_lexicon.cache_info().currsize == 1
