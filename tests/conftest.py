"""Fixtures every test can use: users for each role, patients, a client signed in as a role."""

from __future__ import annotations

import os

os.environ.setdefault("CHARTDESK_FAST_PASSWORD_HASHER", "1")

pytest_plugins = ["tests.support.fixtures"]
