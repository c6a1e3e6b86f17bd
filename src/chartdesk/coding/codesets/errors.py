"""Refusals of a code-set file: each names the file and the line, so the person loading it can fix it."""

from __future__ import annotations

from chartdesk.core.errors import ChartdeskError


class MalformedCodeFile(ChartdeskError):
    """The file cannot be loaded as it is; nothing was changed."""

    def __init__(self, source_name: str, line: int, problem: str) -> None:
        super().__init__(f"{source_name}, line {line}: {problem}", field="file")
        self.source_name = source_name
        self.line = line
        self.problem = problem


class ManyMalformedLines(ChartdeskError):
    """Several lines of one file are wrong; all are reported at once (the first 20)."""

    def __init__(self, source_name: str, problems: list[tuple[int, str]]) -> None:
        shown = "\n".join(f"{source_name}, line {line}: {problem}" for line, problem in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} malformed line(s); nothing was loaded.\n{shown}{more}", field="file")
        self.problems = problems
