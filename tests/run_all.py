"""`make test`: lint, then the suite on SQLite, on PostgreSQL and in the browser.

PostgreSQL runs where initdb/pg_ctl are installed and the browser tests where Chromium is; each is
skipped with a clear line otherwise. CHARTDESK_REQUIRE_POSTGRES=1 / CHARTDESK_REQUIRE_BROWSER=1
(set by CI) turn a skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.support.pg_plugin import postgres_bin_dir

CHROMIUM = "/usr/bin/chromium"


def banner(text: str) -> None:
    print(f"\n==== {text} ====", flush=True)


def run(title: str, command: list[str], env: dict[str, str] | None = None) -> bool:
    banner(title)
    return subprocess.run(command, env={**os.environ, **(env or {})}).returncode == 0


def main() -> int:
    python = sys.executable
    workers = os.environ.get("CHARTDESK_TEST_WORKERS", "2")
    results: list[tuple[str, bool]] = []
    missing: list[str] = []

    results.append(("ruff", run("lint (ruff)", [python, "-m", "ruff", "check", "--no-cache", "src", "tests", "bench"])))
    results.append(("mypy", run("types (mypy)", [python, "-m", "mypy"])))
    pytest = [python, "-m", "pytest", "-n", workers, "-m", "not browser"]
    results.append(("sqlite", run("tests on SQLite", pytest)))

    if postgres_bin_dir() is not None:
        results.append(("postgres", run("tests on PostgreSQL", pytest, {"CHARTDESK_TEST_DB": "postgres"})))
    else:
        banner("PostgreSQL SKIPPED: initdb/pg_ctl not found (apt-get install postgresql)")
        missing.append("postgres")

    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        results.append(("browser", run("browser tests (Chromium)", [python, "-m", "pytest", "-m", "browser"])))
    else:
        banner("BROWSER TESTS SKIPPED: Chromium not found (apt-get install chromium)")
        missing.append("browser")

    banner("summary")
    failed = [name for name, ok in results if not ok]
    for name, ok in results:
        print(f"{name:10} {'passed' if ok else 'FAILED'}")
    for name in missing:
        print(f"{name:10} skipped (not installed)")
    required = {
        "postgres": os.environ.get("CHARTDESK_REQUIRE_POSTGRES") == "1",
        "browser": os.environ.get("CHARTDESK_REQUIRE_BROWSER") == "1",
    }
    for name in missing:
        if required.get(name):
            print(f"{name} is required here but is not installed")
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
