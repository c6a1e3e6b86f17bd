"""Checking an X12 file against its implementation guide with pyx12 (the peer validator)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field


@dataclass
class Validation:
    valid: bool
    errors: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def pyx12_validate(content: str) -> Validation:
    """Run pyx12 over `content`; valid only when pyx12 reports no error at all."""
    import pyx12.params
    import pyx12.x12n_document

    collector = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(collector)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        params = pyx12.params.params()
        ok = pyx12.x12n_document.x12n_document(params, io.StringIO(content), io.StringIO(), None)
    finally:
        logger.removeHandler(collector)
        logger.setLevel(previous)
    return Validation(valid=bool(ok) and not collector.messages, errors=collector.messages)
