"""What a patient merge moves, found generically: every foreign key or one-to-one that points at
Patient, in whatever app, moves from the retired chart to the survivor unless its app registered
another policy here. Apps built later (coding, claims, disclosures...) need do nothing to have
their rows follow a merge; see docs/patients-merge.md.

Policies, per (model, field):
- MOVE (the default): every row of the retired patient moves to the survivor.
- KEEP: rows stay with the retired patient (merge history, break-the-glass sessions).
- a callable `select(rows) -> rows`: given the queryset of the retired patient's rows, returns the
  ones to move; the rest stay (PatientName moves every name but the legal one, which stays on the
  retired record; the merge adds it to the survivor as an alias instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils.text import capfirst

from chartdesk.core.errors import ChartdeskError

MOVE = "move"
KEEP = "keep"
RowSelector = Callable[[models.QuerySet], models.QuerySet]
MergePolicy = str | RowSelector

_policies: dict[tuple[str, str], MergePolicy] = {}


def register_merge_policy(model: type[models.Model] | str, field: str, policy: MergePolicy) -> None:
    """Say what a merge does with `model`'s rows pointing at the retired patient through `field`.

    Call it from the app's AppConfig.ready(). `model` is the class or its label ("claims.Claim").
    """
    if policy not in (MOVE, KEEP) and not callable(policy):
        raise ValueError(f"merge policy for {model}.{field}: use MOVE, KEEP or a callable row selector")
    label = model if isinstance(model, str) else model._meta.label
    _policies[(label, field)] = policy


def merge_policy(model: type[models.Model], field: str) -> MergePolicy:
    return _policies.get((model._meta.label, field), MOVE)


@dataclass(frozen=True)
class PatientLink:
    """One foreign key (or one-to-one) from some model to Patient."""

    model: type[models.Model]
    field: models.Field

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def key(self) -> str:
        return f"{self.label}.{self.field.name}"

    @property
    def verbose_name_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def rows_of(self, patient_pk: int) -> models.QuerySet:
        # The base manager: a default manager that hides rows (retracted, inactive) must not hide
        # them from the merge, or they would be left behind on the retired chart.
        return self.model._base_manager.filter(**{self.field.attname: patient_pk})


def patient_links() -> list[PatientLink]:
    """Every concrete FK/one-to-one pointing at Patient, hidden ones (related_name='+') included,
    in a stable order (model label, field name)."""
    from chartdesk.patients.models import Patient

    links = []
    for relation in Patient._meta.get_fields(include_hidden=True):
        if not isinstance(relation, models.ForeignObjectRel) or not (relation.one_to_many or relation.one_to_one):
            continue
        model = relation.related_model
        if not isinstance(model, type) or model._meta.proxy or not model._meta.managed:
            continue
        links.append(PatientLink(model=model, field=relation.field))
    return sorted(links, key=lambda link: (link.label, link.field.name))


def rows_to_move(link: PatientLink, retired_pk: int, survivor_pk: int) -> list[Any]:
    """The primary keys of the retired patient's rows that this link's policy moves."""
    policy = merge_policy(link.model, link.field.name)
    if policy == KEEP:
        return []
    rows = link.rows_of(retired_pk)
    if callable(policy):
        rows = policy(rows)
    pks = list(rows.order_by("pk").values_list("pk", flat=True))
    if pks and link.field.one_to_one and link.rows_of(survivor_pk).exists():
        # A one-to-one already filled on the survivor cannot take a second row: the retired one
        # stays where it is (the history page lists what each merge moved).
        return []
    return pks


def repoint(link: PatientLink, pks: list[Any], *, from_pk: int, to_pk: int) -> int:
    """Point the rows `pks` (still on `from_pk`) at `to_pk`; only the patient column changes."""
    if not pks:
        return 0
    try:
        with transaction.atomic():  # a savepoint, so a refusal leaves the outer transaction usable
            return link.model._base_manager.filter(pk__in=pks, **{link.field.attname: from_pk}).update(
                **{link.field.attname: to_pk}
            )
    except IntegrityError as clash:
        raise ChartdeskError(
            f"The {link.verbose_name_plural} of these patients cannot be combined ({clash}); nothing was "
            f"changed. The {link.model._meta.app_label} app must register a merge policy for {link.key}."
        ) from None
    except DatabaseError as refusal:
        # A trigger that freezes whole rows refuses the patient column too (see docs/patients-merge.md).
        raise ChartdeskError(
            f"The database refused to move the {link.verbose_name_plural} ({refusal}); nothing was changed. "
            f"Its freeze trigger must let {link.key} change."
        ) from None


def highest_pks(links: list[PatientLink]) -> dict[str, Any]:
    marks: dict[str, Any] = {}
    for link in links:
        if link.label not in marks:
            top = link.model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
            marks[link.label] = top if isinstance(top, int) else None
    return marks


def rows_added_after(link: PatientLink, patient_pk: int, high_water: dict[str, Any]) -> Iterator[Any]:
    """Rows on `patient_pk` created after the merge (primary key above the merge's high-water mark)."""
    mark = high_water.get(link.label)
    if not isinstance(mark, int):
        return iter(())
    return iter(link.rows_of(patient_pk).filter(pk__gt=mark).order_by("pk"))


def record_counts(patient_pk: int) -> list[tuple[str, int]]:
    """How many rows of each kind point at the patient (for the side-by-side comparison)."""
    counts: dict[str, int] = {}
    for link in patient_links():
        if merge_policy(link.model, link.field.name) == KEEP:
            continue
        name = capfirst(link.verbose_name_plural)
        counts[name] = counts.get(name, 0) + link.rows_of(patient_pk).count()
    return sorted(counts.items())
