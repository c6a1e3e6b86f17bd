"""Browser tests: Debian's Chromium, driven by Playwright, against a real `chartdesk serve`.

Tests marked `@pytest.mark.browser` get:

  server   a Chartdesk serving a fresh SQLite database of its own, already migrated and loaded with
           a small demo data set (one user per role, named by the role slug, password
           `server.password`; patients with documents, planted duplicates and restricted charts).
           `server.url("/path")`, `server.chartdesk("command", ...)` and `server.python("code")`
           act on that same database, e.g. to read back what a click wrote.
  page     a Playwright page in a new browser context (fresh cookies) for each test. When the test
           fails a full-page screenshot is saved under test-artifacts/.
  log_in   log_in(page, "registrar") signs in through the log-in form.

Every page a test's browser loads is checked with axe-core (WCAG 2.1 A and AA rules); a test whose
pages had violations fails at teardown, naming each rule, page and element.

They talk to the server subprocess over HTTP, never to pytest-django's test database. Run them with
`python -m pytest -m browser`. Without Chromium they are skipped (CHARTDESK_REQUIRE_BROWSER=1 makes
that a failure); `playwright install` is never needed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.ops.deployment import Deployment, RunningServer, sqlite_deployment, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_PATIENTS = 20
DEMO_SEED = 11
# Real categories of the packaged ICD-10-CM tabular list, enough for the demo's notes and for the codes
# the coding and billing flows enter (the whole list loads in tens of seconds; a site runs
# `chartdesk codes load icd10cm`).
CODED_CATEGORIES = "I50,I10,I11,I25,I48,E11,E78,N39,N18,J18,J44,R06,R07,R50,Z79,Z87"
# axe-core, vendored from npm with its licence (tests/browser/vendor/axe-core/README.md).
AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUNNER = """
(() => {
  if (window.top !== window) return;
  window.__chartdeskAxeDone = new Promise((resolve) => {
    window.addEventListener("load", () => {
      if (!window.axe || !document.documentElement || document.contentType !== "text/html") { resolve(); return; }
      window.axe.run(document, {runOnly: {type: "tag", values: AXE_TAGS}, resultTypes: ["violations"]})
        .then((results) => window.__chartdeskAxeReport(location.pathname + location.search,
          results.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}))))
        .catch((error) => window.__chartdeskAxeReport(location.pathname,
          [{id: "axe-error", impact: "", help: String(error), nodes: []}]))
        .finally(resolve);
    });
  });
})();
""".replace("AXE_TAGS", json.dumps(AXE_TAGS))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CHARTDESK_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"CHARTDESK_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


_call_failed = pytest.StashKey[bool]()


@dataclass
class DeskServer:
    deployment: Deployment
    running: RunningServer
    password: str

    @property
    def base_url(self) -> str:
        return self.running.base_url

    @property
    def env(self) -> dict[str, str]:
        return self.deployment.env

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def chartdesk(self, *args: str, check: bool = True) -> Any:
        """Run a `chartdesk` command against the database this server uses."""
        return self.deployment.chartdesk(*args, check=check)

    def python(self, code: str) -> str:
        """Run Python (Django set up) against the database this server uses; returns what it printed."""
        return self.deployment.python(code)

    def log(self) -> str:
        return self.running.log()


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and load the demo data once; each test's server starts from a copy of this file."""
    template = sqlite_deployment(tmp_path_factory.mktemp("browser-template"))
    template.migrate()
    template.chartdesk("demo-data", "--patients", str(DEMO_PATIENTS), "--seed", str(DEMO_SEED))
    return template.root / "chartdesk.sqlite3"


@pytest.fixture(scope="session")
def coded_database(seeded_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database with part of ICD-10-CM loaded through `chartdesk codes load`, once."""
    deployment = sqlite_deployment(tmp_path_factory.mktemp("coded-template"), template=seeded_database)
    deployment.chartdesk("codes", "load", "icd10cm", "--only", CODED_CATEGORIES)
    return deployment.root / "chartdesk.sqlite3"


@contextmanager
def serving(template: Path, tmp_path: Path) -> Iterator[DeskServer]:
    """A server on a copy of `template`, stopped afterwards."""
    from chartdesk.core.demo.load import DEMO_PASSWORD

    deployment = sqlite_deployment(tmp_path / "site", template=template)
    running = start_server(deployment)
    try:
        yield DeskServer(deployment, running, DEMO_PASSWORD)
    finally:
        running.stop()


@pytest.fixture
def server(seeded_database: Path, tmp_path: Path) -> Iterator[DeskServer]:
    with serving(seeded_database, tmp_path) as running:
        yield running


@pytest.fixture
def coded_server(coded_database: Path, tmp_path: Path) -> Iterator[DeskServer]:
    """Like `server`, with ICD-10-CM (CODED_CATEGORIES) loaded."""
    with serving(coded_database, tmp_path) as running:
        yield running


def open_patients(server: DeskServer, count: int = 2) -> list[dict[str, Any]]:
    """The first `count` active, unrestricted patients of the server's database: id, MRN, family name."""
    found = server.python(
        "import json\n"
        "from chartdesk.patients.models import Patient\n"
        f"rows = Patient.objects.filter(restriction='', status='active').order_by('pk')[:{count}]\n"
        "print(json.dumps([{'id': p.pk, 'mrn': p.mrn, 'family': p.family_name} for p in rows]))\n"
    )
    return list(json.loads(found.strip().splitlines()[-1]))


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright for the whole run: its sync API refuses a second one started while it runs, so a
    test that needs a browser launched with other flags launches it from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@dataclass(frozen=True)
class AxeViolation:
    url: str
    rule: str
    impact: str
    help: str
    nodes: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.url}: {self.rule} ({self.impact}) {self.help}; at {', '.join(self.nodes)}"


def watch_accessibility(context: Any) -> list[AxeViolation]:
    """Run axe-core (WCAG 2.0 and 2.1, levels A and AA) on every page the context loads.

    axe.min.js and a runner go in as init scripts (outside the page's CSP, and never served by the
    app); each top-level HTML page runs axe once loaded and reports its violations through a binding
    into the returned list. `assert_accessible` waits for the page still open and fails on any.
    """
    found: list[AxeViolation] = []

    def report(_source: Any, url: str, violations: list[dict[str, Any]]) -> None:
        for violation in violations:
            found.append(AxeViolation(url, violation["id"], violation.get("impact") or "", violation["help"],
                                      tuple(violation["nodes"])))

    context.expose_binding("__chartdeskAxeReport", report)
    context.add_init_script(path=str(AXE_SCRIPT))
    context.add_init_script(script=AXE_RUNNER)
    return found


def assert_accessible(page: Any, found: list[AxeViolation]) -> None:
    if not page.is_closed():
        try:
            page.evaluate("() => window.__chartdeskAxeDone")
        except Exception:  # noqa: BLE001 - a page closed or navigating away has nothing left to check
            pass
    unique = sorted({str(violation) for violation in found})
    assert not unique, "axe-core found accessibility violations:\n" + "\n".join(unique)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    violations = watch_accessibility(context)
    desk_page = context.new_page()
    try:
        yield desk_page
        if not request.node.stash.get(_call_failed, False):
            assert_accessible(desk_page, violations)
    finally:
        if request.node.stash.get(_call_failed, False):
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            desk_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        context.close()


@pytest.fixture
def log_in(server: DeskServer) -> Callable[..., None]:
    def sign_in(page: Any, username: str, password: str | None = None) -> None:
        page.goto(server.url("/"))
        page.get_by_label(re.compile("user ?name", re.IGNORECASE)).fill(username)
        page.get_by_label(re.compile("^password", re.IGNORECASE)).fill(password or server.password)
        page.get_by_role("button", name=re.compile("log ?in|sign ?in", re.IGNORECASE)).click()
        page.wait_for_load_state()

    return sign_in
