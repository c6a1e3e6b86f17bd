"""Fixtures of the paper-records tests: a terminal-digit file room with a shelf and a chart in it."""

from __future__ import annotations

from typing import Any

import pytest

from chartdesk.filing.actions import do_add_storage_location, do_create_file_room, do_create_paper_chart


@pytest.fixture
def file_room(users: dict[str, Any]) -> Any:
    return do_create_file_room(facility="General Hospital", name="Main file room", filing_system="terminal-digit",
                               acting_user=users["him_manager"])


@pytest.fixture
def shelf(file_room: Any, users: dict[str, Any]) -> Any:
    return do_add_storage_location(file_room, kind="shelf_range", code="s-00-09", description="Sections 00-09",
                                   acting_user=users["him_manager"])


@pytest.fixture
def chart(patient: Any, file_room: Any, shelf: Any, users: dict[str, Any]) -> Any:
    return do_create_paper_chart(patient, file_room=file_room, home_location=shelf, acting_user=users["registrar"])
