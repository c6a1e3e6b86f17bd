"""Front-office benchmark: next-free-slot search at 50 providers with a year of appointments, and the
day sheet rendered at 400 appointments a day, on SQLite (synchronous=FULL).

Rows are bulk-built (patients, 50 provider schedules open weekdays 08:00-17:00 with lunch, a year of
appointments: 8 of each provider's 32 quarter-hour slots a weekday, 400 a day) without audit events;
then each measured step runs through the real code: `next_free_slots` for a random visit type,
provider (or any of the 50) and time of day from a random day of the year; the same for one
provider booked solid for the next 11 months (the search walks the whole year to find the one
free slot); and GET /schedule/?day=... as a front-desk user (access function, audit event,
template).

`python -m bench.schedule` runs it alone.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROVIDERS = 50
PER_DAY = 8  # appointments per provider per weekday: 400 a day across the 50
SEARCHES = 200
RENDERS = 20
SEED = 20261207


def _p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[-1] * 1000, 1)


def build(first: date) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from chartdesk.accounts.roles import group_name
    from chartdesk.charts.models import Provider
    from chartdesk.patients.models import Patient
    from chartdesk.patients.mrn import allocate_mrns
    from chartdesk.schedule.models import Appointment, Block, Clinic, Schedule, TemplateHours, VisitType

    rng = random.Random(SEED)
    patients = Patient.objects.bulk_create(
        [Patient(mrn=mrn, given_name=f"Given{n % 997}", family_name=f"Family{n % 7919}",
                 birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(0, 80 * 365)), sex=rng.choice("FM"))
         for n, mrn in enumerate(allocate_mrns(20000))], batch_size=2000)
    patients = list(Patient.objects.order_by("pk"))
    clinic = Clinic.objects.create(name="Bench clinic", time_zone="America/New_York")
    providers = Provider.objects.bulk_create([Provider(given_name=f"Doc{n}", family_name=f"Tor{n}", credentials="MD")
                                              for n in range(PROVIDERS)])
    schedules = Schedule.objects.bulk_create([Schedule(clinic=clinic, provider=p) for p in providers])
    schedules = list(Schedule.objects.order_by("pk"))
    TemplateHours.objects.bulk_create([TemplateHours(schedule=s, weekday=w, start_time=clock(8), end_time=clock(17))
                                       for s in schedules for w in range(5)])
    Block.objects.bulk_create([Block(schedule=s, kind="lunch", weekday=w, start_time=clock(12), end_time=clock(13))
                               for s in schedules for w in range(5)])
    visit_types = [VisitType.objects.create(code="FU", name="Follow-up", minutes=15),
                   VisitType.objects.create(code="NEW", name="New patient", minutes=30)]
    starts = [clock(h, m) for h in (8, 9, 10, 11, 13, 14, 15, 16) for m in (0, 15, 30, 45)]
    rows = []
    for offset in range(365):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for index, schedule in enumerate(schedules):
            # The first provider is booked solid for the first 11 months (every slot), the others 8 a day.
            chosen = starts if index == 0 and offset < 335 else rng.sample(starts, PER_DAY)
            rows += [Appointment(schedule=schedule, patient=patients[rng.randrange(len(patients))],
                                 visit_type=visit_types[0], day=day, start_time=start, minutes=15)
                     for start in chosen]
    Appointment.objects.bulk_create(rows, batch_size=5000)
    User = get_user_model()
    desk = User.objects.create_user("bench-desk", password="x")
    desk.groups.add(Group.objects.get(name=group_name("front_desk")))
    return {"appointments": len(rows), "schedules": schedules, "visit_types": visit_types,
            "desk": User.objects.get(pk=desk.pk)}


def measure() -> dict[str, Any]:
    import django

    django.setup()
    from django.test import Client

    from chartdesk.schedule.slots import next_free_slots

    first = date(2027, 1, 4)
    started = time.perf_counter()
    built = build(first)
    result: dict[str, Any] = {"build_s": round(time.perf_counter() - started, 1),
                              "appointments": built["appointments"], "providers": PROVIDERS}
    rng = random.Random(SEED + 1)
    schedules, visit_types = built["schedules"], built["visit_types"]
    samples = []
    for _ in range(SEARCHES):
        chosen = [rng.choice(schedules)] if rng.random() < 0.5 else schedules
        begin = time.perf_counter()
        found = next_free_slots(rng.choice(visit_types), chosen, from_day=first + timedelta(days=rng.randrange(300)),
                                time_of_day=rng.choice(["any", "morning", "afternoon"]), limit=5)
        samples.append(time.perf_counter() - begin)
        assert found, "every search finds a slot in this data"
    result["next_free_p95_ms"] = _p95(samples)
    result["next_free_median_ms"] = round(statistics.median(samples) * 1000, 1)
    solid = []
    for _ in range(20):
        begin = time.perf_counter()
        [slot] = next_free_slots(visit_types[0], [schedules[0]], from_day=first, limit=1)
        solid.append(time.perf_counter() - begin)
    result["next_free_booked_solid_11_months_p95_ms"] = _p95(solid)
    result["next_free_booked_solid_found_day"] = slot.day.isoformat()
    client = Client(HTTP_HOST="localhost")
    client.force_login(built["desk"])
    day = first + timedelta(days=343)  # a Monday after the booked-solid months: 8 visits for each of the 50
    renders = []
    for _ in range(RENDERS):
        begin = time.perf_counter()
        response = client.get(f"/schedule/?day={day.isoformat()}")
        renders.append(time.perf_counter() - begin)
        assert response.status_code == 200, response.status_code
        assert response.content.count(b"/schedule/appointment/") == PROVIDERS * PER_DAY
    result["day_sheet_400_render_p95_ms"] = _p95(renders)
    result["day_sheet_400_render_median_ms"] = round(statistics.median(renders) * 1000, 1)
    return result


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chartdesk-bench-schedule-") as folder:
        work = Path(folder)
        env = {**os.environ, "CHARTDESK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
               "CHARTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "chartdesk.settings",
               "CHARTDESK_FAST_PASSWORD_HASHER": "1"}
        env.pop("CHARTDESK_MODE", None)
        subprocess.run([sys.executable, "-m", "chartdesk", "migrate", "--no-input", "-v", "0"], env=env, cwd=REPO,
                       check=True)
        print(f"schedule: SQLite, {PROVIDERS} providers, a year of appointments...", flush=True)
        done = subprocess.run([sys.executable, "-m", "bench.schedule", "--measure"], env=env, cwd=REPO, check=True,
                              stdout=subprocess.PIPE, text=True)
    result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    result["engine"] = "sqlite (synchronous=FULL)"
    result["note"] = (f"{SEARCHES} next-free-slot searches (half for one provider, half across all {PROVIDERS}; "
                      "random visit type, time of day and first day); the booked-solid case walks 11 months of "
                      "one provider's full days. The day sheet is GET /schedule/?day= as a front-desk user with "
                      f"{PROVIDERS * PER_DAY} appointments that day (access check, audit event, template).")
    return result


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--measure":
        print(json.dumps(measure()), flush=True)
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
