"""The department that bench/load_test.py puts on the desk: locust users in the roles of an HIM
department, each doing what that role does all day, with a person's pauses between pages.

Run by bench/load_test.py as `locust -f bench/_locustfile.py --headless`,
with CHARTDESK_LOAD_PLAN naming the JSON file that load_test.prepare() wrote: the accounts to log in
as, the API client, and the patients, encounters and search terms the users pick from.

Each desk user logs in once, as a browser does (the log-in page sets the CSRF cookie, the form posts it
back), and keeps its session, then opens each of its role's pages once, as a clerk starting the day
looks at each of their screens (so a short run still reaches every page kind), then works at random in
the role's proportions. Every request is named by its page kind (load_test.PAGE_KINDS), and anything other
than a 2xx answer is a failure: a redirect to the log-in page means the session was lost, which a
real clerk would notice, so it counts as an error too.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

# A person's pause between pages, in seconds; the ops test shortens it (CHARTDESK_LOAD_WAIT="0.1,0.3").
PAUSE = tuple(float(part) for part in os.environ.get("CHARTDESK_LOAD_WAIT", "1,5").split(","))


def _plan() -> dict[str, Any]:
    return dict(json.loads(Path(os.environ["CHARTDESK_LOAD_PLAN"]).read_text()))


PLAN = _plan()
# Users of one role share that role's accounts in turn, so concurrent sessions spread over several people.
_ACCOUNTS = {role: itertools.cycle(names) for role, names in PLAN["accounts"].items()}


def _get(user: HttpUser, kind: str, path: str, **kwargs: Any) -> None:
    with user.client.get(path, name=kind, allow_redirects=False, catch_response=True, **kwargs) as answer:
        if not 200 <= answer.status_code < 300:
            where = answer.headers.get("Location", "")
            why = f" to {where}" if where else f" ({answer.error!r})" if answer.error else ""
            answer.failure(f"{kind}: HTTP {answer.status_code}{why}")


class DeskUser(HttpUser):
    """Someone at the desk: logs in once, then works; a pause of one to five seconds between pages."""

    abstract = True
    role = ""
    first_round: tuple[str, ...] = ()
    wait_time = between(*PAUSE)

    def on_start(self) -> None:
        username = next(_ACCOUNTS[self.role])
        self.client.get("/accounts/login/", name="login_form")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post("/accounts/login/", name="login", allow_redirects=False, catch_response=True,
                              data={"username": username, "password": PLAN["password"],
                                    "csrfmiddlewaretoken": token},
                              headers={"Referer": f"{self.host}/accounts/login/"}) as answer:
            # A good log-in answers 302 to the home page; a refused one shows the form again (200).
            if answer.status_code != 302 or "/accounts/" in answer.headers.get("Location", ""):
                answer.failure(f"log-in as {username} answered {answer.status_code}")
            else:
                answer.success()
        for name in self.first_round:
            self.wait()
            getattr(self, name)()

    def chart(self) -> None:
        _get(self, "chart", f"/charts/patient/{random.choice(PLAN['chart_ids'])}/")


class Registrar(DeskUser):
    """Registration: finds patients by a name fragment, a birth date or an MRN, and opens charts."""

    weight = 5
    role = "registrar"
    first_round = ("search_name", "search_birth_date", "search_mrn", "open_chart")

    @task(4)
    def search_name(self) -> None:
        _get(self, "search_name", "/patients/", params={"q": random.choice(PLAN["names"])})

    @task(2)
    def search_birth_date(self) -> None:
        _get(self, "search_birth_date", "/patients/", params={"q": random.choice(PLAN["birth_dates"])})

    @task(2)
    def search_mrn(self) -> None:
        _get(self, "search_mrn", "/patients/", params={"q": random.choice(PLAN["mrns"])})

    @task(3)
    def open_chart(self) -> None:
        self.chart()


class Coder(DeskUser):
    """Coding: the work queue, then one encounter's coding screen after another."""

    weight = 3
    role = "coder"
    first_round = ("queue", "screen", "open_chart")

    @task(2)
    def queue(self) -> None:
        _get(self, "coding_queue", "/coding/work/")

    @task(4)
    def screen(self) -> None:
        _get(self, "coding_screen", f"/coding/work/encounter/{random.choice(PLAN['coding_encounter_ids'])}/")

    @task(1)
    def open_chart(self) -> None:
        self.chart()


class ReleaseOfInformation(DeskUser):
    """Release of information: the request queue, and the charts the requests are for."""

    weight = 1
    role = "roi"
    first_round = ("queue", "open_chart")

    @task(2)
    def queue(self) -> None:
        _get(self, "roi_queue", "/disclosures/")

    @task(1)
    def open_chart(self) -> None:
        self.chart()


class Billing(DeskUser):
    """Billing: the claim list, whole or by status."""

    weight = 1
    role = "billing"
    first_round = ("claims",)

    @task
    def claims(self) -> None:
        _get(self, "billing_claims", "/billing/claims/",
             params={"status": random.choice(("", "", "ready", "scrubbed"))})


class FhirClient(HttpUser):
    """A program on the FHIR API: one token, then Patient reads and searches."""

    weight = 1
    wait_time = between(*PAUSE)

    def on_start(self) -> None:
        client = PLAN["api_client"]
        self.headers = {"Accept": "application/fhir+json"}
        with self.client.post("/fhir/auth/token", name="fhir_token", catch_response=True,
                              data={"grant_type": "client_credentials", "client_id": client["client_id"],
                                    "client_secret": client["client_secret"]}) as answer:
            if answer.status_code != 200:
                answer.failure(f"token answered {answer.status_code}")
                return
            self.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self.wait()
        self.read()
        self.wait()
        self.search()

    @task(3)
    def read(self) -> None:
        _get(self, "fhir_patient_read", f"/fhir/Patient/{random.choice(PLAN['fhir_patient_ids'])}",
             headers=self.headers)

    @task(2)
    def search(self) -> None:
        _get(self, "fhir_patient_search", "/fhir/Patient", headers=self.headers,
             params={"family": random.choice(PLAN["fhir_family_names"])})
