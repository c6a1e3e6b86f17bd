from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _chart_page(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.patients.chart_urls"
