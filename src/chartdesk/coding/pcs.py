"""The ICD-10-PCS builder: walk the seven axes, offering at each step only values that lead to a valid code.

The valid codes of a release are read once into a prefix tree (cached per process and release):
for every prefix, the characters that may follow it and what each means there. The axis
definitions (root operation definitions, approaches, ...) come from `PcsAxisValue`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from chartdesk.coding.models import Code, CodeLevel, CodeSetRelease, CodeSystem, PcsAxisValue

AXES = ("Section", "Body system", "Root operation", "Body part", "Approach", "Device", "Qualifier")
# What each axis's meaning depends on: the section alone, or section and body system (body part),
# or the whole table (device and qualifier are defined per table).
CONTEXT_LENGTH = {1: 0, 2: 1, 3: 1, 4: 2, 5: 1, 6: 3, 7: 3}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    definition: str
    explanation: str
    examples: str


@dataclass(frozen=True)
class Step:
    position: int  # 1 to 7: the axis being chosen
    axis: str
    chosen: list[tuple[str, str, str]]  # (character, axis name, label) already chosen
    choices: list[Choice]


_TREES: dict[int, dict[str, dict[str, str]]] = {}
_LOCK = threading.Lock()


def _tree(release: CodeSetRelease) -> dict[str, dict[str, str]]:
    """prefix -> {next character: its label there}."""
    cached = _TREES.get(release.pk)
    if cached is not None:
        return cached
    with _LOCK:
        tree: dict[str, dict[str, str]] = {}
        for code, axes in Code.objects.filter(release=release, level=CodeLevel.CODE).values_list("code", "axes"):
            for position in range(7):
                following = tree.setdefault(code[:position], {})
                if code[position] not in following:
                    following[code[position]] = axes[position] if position < len(axes) else ""
        _TREES[release.pk] = tree
        return tree


def forget_trees() -> None:
    with _LOCK:
        _TREES.clear()


def current_pcs_release() -> CodeSetRelease | None:
    return CodeSetRelease.objects.current(CodeSystem.ICD10PCS)


def step(release: CodeSetRelease, prefix: str) -> Step | None:
    """The next axis after `prefix` and its valid values; None when the prefix leads to no valid code.

    A full seven-character prefix returns a step with no choices: the code is complete.
    """
    tree = _tree(release)
    prefix = prefix.upper()
    if len(prefix) > 7 or (len(prefix) < 7 and prefix not in tree):
        return None
    chosen = []
    for position, character in enumerate(prefix):
        label = tree.get(prefix[:position], {}).get(character)
        if label is None:
            return None
        chosen.append((character, AXES[position], label))
    if len(prefix) == 7:
        return Step(8, "", chosen, [])
    position = len(prefix) + 1
    context = prefix[: CONTEXT_LENGTH[position]]
    definitions = {
        axis.value: axis for axis in PcsAxisValue.objects.filter(release=release, position=position, context=context)
    }
    choices = []
    for value, label in sorted(tree[prefix].items()):
        defined = definitions.get(value)
        choices.append(Choice(value, label, defined.definition if defined else "",
                              defined.explanation if defined else "", defined.examples if defined else ""))
    return Step(position, AXES[position - 1], chosen, choices)
