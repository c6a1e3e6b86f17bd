"""What core needs from the apps above it, filled in by their AppConfig.ready.

Core imports no app (the import-linter contracts in pyproject.toml hold it to that), yet a few of
its services need an app's answer: the refused page and the backup go on the audit trail, a
restore checks the audit chain, every desk page shows the user's role. Each app that owns the
answer registers it here at start-up, as `AppConfig.warm_up` and the merge registry already work.
Until an app registers, core does without (a page still renders; nothing is silently skipped that
matters, since audit and accounts are always installed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

AuditRecorder = Callable[..., Any]
DeskContext = Callable[[Any], dict[str, Any]]
RestoreCheck = Callable[[], list[str]]
DemoBuilder = Callable[[Any], None]
PhraseSource = Callable[[], Iterable[str]]
SandboxOpener = Callable[[str], AbstractContextManager[bool]]

_audit_recorder: AuditRecorder | None = None
_chain_verifier: Callable[[], Any] | None = None
_restore_checks: list[RestoreCheck] = []
_desk_context: list[DeskContext] = []
_demo_builders: dict[str, tuple[int, DemoBuilder]] = {}
_demo_census: dict[str, Callable[[], int]] = {}
_demo_settlers: dict[str, Callable[[], None]] = {}
_demo_nightly: dict[str, Callable[[Any], None]] = {}
_phrase_sources: dict[str, PhraseSource] = {}
_sandbox_opener: SandboxOpener | None = None


def register_audit(recorder: AuditRecorder, chain_verifier: Callable[[], Any]) -> None:
    """audit: `recorder` is record_event (action and outcome as their string values); the chain
    verifier walks the whole chain."""
    global _audit_recorder, _chain_verifier
    _audit_recorder, _chain_verifier = recorder, chain_verifier


def record_audit_event(action: str, **fields: Any) -> Any:
    if _audit_recorder is None:
        raise RuntimeError("The audit app has not registered its recorder (is chartdesk.audit installed?).")
    return _audit_recorder(action, **fields)


def verify_audit_chain() -> Any:
    if _chain_verifier is None:
        raise RuntimeError("The audit app has not registered its chain verifier.")
    return _chain_verifier()


def register_restore_check(check: RestoreCheck) -> None:
    """A check run after a restore: each returns the warnings to print (none when all is well)."""
    if check not in _restore_checks:
        _restore_checks.append(check)


def restore_warnings() -> list[str]:
    return [warning for check in _restore_checks for warning in check()]


def register_desk_context(provider: DeskContext) -> None:
    """Template context every desk page gets, from the app that knows it (the user's role)."""
    if provider not in _desk_context:
        _desk_context.append(provider)


def desk_context(request: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for provider in _desk_context:
        context.update(provider(request))
    return context


def register_demo_builder(name: str, stage: int, build: DemoBuilder) -> None:
    """An app's part of `chartdesk demo-data`: `build(run)` gets the core.demo.load.DemoRun (the plan,
    the staff and patients made by earlier stages, the result to count into). Stages run in order,
    in one transaction: staff (10), patients (20), charts (30), restrictions (40), then the work
    apps' own records (50 on)."""
    _demo_builders[name] = (stage, build)


def demo_builders() -> list[DemoBuilder]:
    return [build for _, build in sorted(_demo_builders.values(), key=lambda entry: entry[0])]


def register_demo_census(name: str, count: Callable[[], int]) -> None:
    """How many rows of `name` (e.g. patients) the database holds: demo data goes only into an empty one."""
    _demo_census[name] = count


def demo_census() -> dict[str, int]:
    return {name: count() for name, count in _demo_census.items()}


def register_demo_settler(name: str, settle: Callable[[], None]) -> None:
    """Work an app defers to the commit (deficiency analysis), done at the end of each demo story step
    instead: the demo loads in one transaction, and the work must carry the step's story time."""
    _demo_settlers[name] = settle


def demo_settlers() -> list[Callable[[], None]]:
    return list(_demo_settlers.values())


def register_demo_nightly(name: str, run: Callable[[Any], None]) -> None:
    """A nightly job (marking delinquent records) the demo story runs each night it replays; `run(now)`."""
    _demo_nightly[name] = run


def demo_nightly() -> list[Callable[[Any], None]]:
    return list(_demo_nightly.values())


def register_phrase_source(name: str, source: PhraseSource) -> None:
    """Words of the trade an app owns (code titles...), for the speech engine's language model, which
    lives in an app that may not import the owner (transcription/language_model.py)."""
    _phrase_sources[name] = source


def phrase_sources() -> dict[str, PhraseSource]:
    return dict(_phrase_sources)


def register_sandbox_opener(opener: SandboxOpener) -> None:
    """training: `opener(name)` runs a block with that sandbox as the database (yielding whether it
    still exists); the job worker runs a job queued inside a sandbox through it."""
    global _sandbox_opener
    _sandbox_opener = opener


def sandbox_opener() -> SandboxOpener:
    if _sandbox_opener is None:
        raise RuntimeError("A job names a training sandbox but the training app is not installed.")
    return _sandbox_opener
