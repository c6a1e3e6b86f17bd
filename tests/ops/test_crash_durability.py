"""A registration the desk has acknowledged survives the process being killed mid-stream.

A child process registers patients one after another against a SQLite file through the real action
and prints each MRN only after the action (and its commit) returned. The test kills it with SIGKILL
while it is writing; afterwards every acknowledged MRN must be in the database, the file must pass
SQLite's integrity check, and the audit chain must still verify.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.ops.deployment import sqlite_deployment
from tests.support.databases import sqlite_only

REGISTER_FOREVER = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
django.setup()
from datetime import date, timedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from chartdesk.accounts.roles import group_name
from chartdesk.patients.actions import do_register_patient
from chartdesk.patients.schemas import PatientRegistration

clerk = get_user_model().objects.create_user("crash-clerk", password="a long enough password")
clerk.groups.add(Group.objects.get(name=group_name("registrar")))
clerk = get_user_model().objects.get(pk=clerk.pk)
given = ["Amara", "Bernard", "Chloe", "Dmitri", "Esperanza", "Farid", "Grace", "Hiroshi", "Ines", "Jamal"]
family = ["Okafor", "Lindqvist", "Moreau", "Petrov", "Salazar", "Haddad", "Kim", "Tanaka", "Duarte", "Brooks"]
print("ready", flush=True)
n = 0
while True:
    registration = PatientRegistration(
        given_name=given[n % 10], family_name=family[(n // 10) % 10], sex="F" if n % 2 else "M",
        birth_date=date(1950, 1, 1) + timedelta(days=n * 37),
    )
    patient = do_register_patient(registration, acting_user=clerk)
    print(patient.mrn, flush=True)  # acknowledged: the action, and so its commit, has returned
    n += 1
"""


@sqlite_only
@pytest.mark.timeout(240)
def test_every_acknowledged_registration_survives_sigkill(tmp_path, migrated_template):
    site = sqlite_deployment(tmp_path / "site", template=migrated_template)
    child = subprocess.Popen(
        [sys.executable, "-c", REGISTER_FOREVER],
        env=site.env,
        cwd=site.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[str] = []
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        deadline = time.monotonic() + 120
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)
        # Lines printed before the kill are acknowledgements too.
        acknowledged += [line.strip() for line in child.stdout.read().splitlines() if line.strip()]
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 40, child.stderr.read() if child.stderr else ""

    database = sqlite3.connect(site.root / "chartdesk.sqlite3")
    try:
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {mrn for (mrn,) in database.execute("SELECT mrn FROM patients_patient")}
    finally:
        database.close()
    missing = [mrn for mrn in acknowledged if mrn not in stored]
    assert missing == []
    assert len(stored) >= len(acknowledged)
    site.verify_audit_chain()
