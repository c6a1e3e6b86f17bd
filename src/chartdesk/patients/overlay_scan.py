"""The overlay scan, as the `chartdesk patients overlays scan` command reaches it.

Overlays are found from what each encounter stated (charts.overlays): the patients app, below
charts, cannot call that itself, so charts registers its scan here from ChartsConfig.ready."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OverlayScan = Callable[..., dict[str, Any]]
_scans: list[OverlayScan] = []


def register_overlay_scan(scan: OverlayScan) -> None:
    """`scan(acting_user=...)` -> {"summary": {...}, "overlays": [...]} (JSON-ready)."""
    _scans[:] = [scan]


def run_overlay_scan(*, acting_user: Any) -> dict[str, Any]:
    if not _scans:
        raise RuntimeError("No overlay scan is registered (the charts app is not installed).")
    return _scans[0](acting_user=acting_user)
