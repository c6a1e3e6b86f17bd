"""Code sets (ICD-10-CM, ICD-10-PCS, HCPCS Level II, CPT), versioned by effective date.

A `CodeSetRelease` is one published edition of one code system, in effect from `effective_from`
until the next release of the same system takes over (`effective_to`, exclusive). Every `Code`
belongs to exactly one release, so "was E11.9 valid on 2025-11-03?" is "does the release in effect
on that day hold E11.9?". Codes are stored without the dot (`E119`); `display` carries the dot.

Code sets are reference data, not the legal record: a release can be reloaded (its codes replaced
in one transaction). Coded encounters keep the code text and the date of service, never a foreign
key to a `Code` row, so reloading a release never touches coded work.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models


class CodeSystem(models.TextChoices):
    ICD10CM = "icd10cm", "ICD-10-CM"
    ICD10PCS = "icd10pcs", "ICD-10-PCS"
    HCPCS = "hcpcs", "HCPCS Level II"
    CPT = "cpt", "CPT"


class CodeLevel(models.TextChoices):
    CHAPTER = "chapter", "Chapter"
    BLOCK = "block", "Block (section)"
    CATEGORY = "category", "Category"
    SUBCATEGORY = "subcategory", "Subcategory"
    CODE = "code", "Code"
    PCS_TABLE = "pcs_table", "PCS table"
    MODIFIER = "modifier", "Modifier"


class NoteKind(models.TextChoices):
    """The tabular list's instructional notes, in the XML's own vocabulary."""

    INCLUDES = "includes", "Includes"
    INCLUSION_TERM = "inclusion_term", "Inclusion term"
    EXCLUDES1 = "excludes1", "Excludes1"
    EXCLUDES2 = "excludes2", "Excludes2"
    CODE_FIRST = "code_first", "Code first"
    USE_ADDITIONAL_CODE = "use_additional_code", "Use additional code"
    CODE_ALSO = "code_also", "Code also"
    SEVENTH_CHARACTER_NOTE = "seventh_character_note", "7th character note"
    NOTE = "note", "Note"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"


class IndexPart(models.TextChoices):
    """The parts of the ICD-10-CM Alphabetic Index a coder looks terms up in."""

    DISEASES = "index", "Index to Diseases and Injuries"
    NEOPLASMS = "neoplasm", "Table of Neoplasms"
    DRUGS = "drug", "Table of Drugs and Chemicals"
    EXTERNAL_CAUSES = "eindex", "External Cause of Injuries Index"


class CodeSetReleaseQuerySet(models.QuerySet["CodeSetRelease"]):
    def in_effect(self, system: str, on: datetime.date) -> CodeSetRelease | None:
        """The release of `system` in effect on the day `on`, or None when no loaded release covers it."""
        return (
            self.filter(system=system, effective_from__lte=on)
            .filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gt=on))
            .order_by("-effective_from")
            .first()
        )

    def current(self, system: str) -> CodeSetRelease | None:
        """The latest release of `system` (the one whose `effective_to` is open)."""
        return self.filter(system=system).order_by("-effective_from").first()


class CodeSetRelease(models.Model):
    system = models.CharField(max_length=10, choices=CodeSystem.choices)
    label = models.CharField(max_length=80, help_text="e.g. 'FY2026 April update'")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="exclusive; empty while current")
    source_name = models.CharField(max_length=200)
    source_sha256 = models.CharField(max_length=64)
    code_count = models.PositiveIntegerField(default=0)
    loaded_at = models.DateTimeField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CodeSetReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["system", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["system", "effective_from"], name="one_release_per_day")]
        permissions = [("use_encoder", "Search and browse the code sets, check codes")]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.label} (from {self.effective_from:%Y-%m-%d})"


class Code(models.Model):
    """One node of a code set: a chapter, block, category, subcategory, PCS table or a code.

    Only `billable` codes may be reported. The sex and age limits carry the rule that set them
    (`limit_source`), because they are derived, not read from the tabular list.
    """

    release = models.ForeignKey(CodeSetRelease, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=16, help_text="without the dot, upper case")
    display = models.CharField(max_length=16, help_text="as printed: with the dot for ICD-10-CM")
    title = models.TextField()
    short_title = models.CharField(max_length=100, blank=True)
    level = models.CharField(max_length=12, choices=CodeLevel.choices)
    billable = models.BooleanField(default=False)
    parent = models.CharField(max_length=16, blank=True, help_text="code of the parent node, '' at the top")
    sort_key = models.PositiveIntegerField(default=0, help_text="order in the tabular list")
    manifestation = models.BooleanField(default=False, help_text="never first-listed; needs its etiology")
    requires_seventh = models.BooleanField(default=False, help_text="this code needs a 7th character")
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    limit_source = models.CharField(max_length=200, blank=True)
    poa_exempt = models.BooleanField(default=False)
    terms = models.TextField(blank=True, help_text="inclusion terms, one a line (search synonyms)")
    axes = models.JSONField(default=list, blank=True, help_text="ICD-10-PCS: the label of each of the 7 characters")

    class Meta:
        ordering = ["release", "sort_key"]
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="one_code_per_release")]
        indexes = [models.Index(fields=["release", "parent"])]

    def __str__(self) -> str:
        return f"{self.display} {self.title}"


class CodeNote(models.Model):
    """An instructional note printed under a code in the tabular list, with the codes it names."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=24, choices=NoteKind.choices)
    text = models.TextField()
    referenced = models.JSONField(default=list, blank=True, help_text="code ranges named in the note")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["code", "kind", "position"]

    def __str__(self) -> str:
        return f"{self.code.display} {self.kind}: {self.text}"


class SeventhCharacter(models.Model):
    """One 7th-character value defined at a category or subcategory (applies to all codes below it)."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="seventh_characters")
    character = models.CharField(max_length=1)
    meaning = models.CharField(max_length=200)

    class Meta:
        ordering = ["code", "character"]
        constraints = [models.UniqueConstraint(fields=["code", "character"], name="one_meaning_per_character")]

    def __str__(self) -> str:
        return f"{self.code.display} {self.character}: {self.meaning}"


class PcsAxisValue(models.Model):
    """The meaning of one character value on one ICD-10-PCS axis, in the context that fixes it.

    The context is the preceding characters the meaning depends on: the section for the body
    system, root operation and approach; section and body system for the body part.
    """

    release = models.ForeignKey(CodeSetRelease, on_delete=models.CASCADE, related_name="pcs_axis_values")
    position = models.PositiveSmallIntegerField(help_text="1 to 7")
    context = models.CharField(max_length=6, blank=True)
    value = models.CharField(max_length=1)
    label = models.CharField(max_length=200)
    definition = models.TextField(blank=True)
    explanation = models.TextField(blank=True)
    examples = models.TextField(blank=True)

    class Meta:
        verbose_name = "PCS axis value"
        ordering = ["release", "position", "context", "value"]
        constraints = [
            models.UniqueConstraint(fields=["release", "position", "context", "value"], name="one_axis_meaning")
        ]

    def __str__(self) -> str:
        return f"PCS position {self.position} '{self.value}' ({self.context}): {self.label}"


class ClassificationIndexQuerySet(models.QuerySet["ClassificationIndex"]):
    def in_effect(self, part: str, on: datetime.date | None = None) -> ClassificationIndex | None:
        """The edition of one index part in effect on `on` (the latest when `on` is None)."""
        editions = self.filter(part=part)
        if on is not None:
            editions = editions.filter(effective_from__lte=on)
        return editions.order_by("-effective_from").first()


class ClassificationIndex(models.Model):
    """One edition of one part of the ICD-10-CM Alphabetic Index (the index or one of its tables).

    The terms are kept as the parser flattened them (file order, each naming its parent's
    position): the encoder reads a part whole into memory, never term by term, so one row per
    edition keeps loading and reading it one statement. Reference data like `Code`: a reload
    replaces the edition's terms; coded work never points here.
    """

    part = models.CharField(max_length=10, choices=IndexPart.choices)
    label = models.CharField(max_length=80)
    effective_from = models.DateField()
    source_name = models.CharField(max_length=200)
    source_sha256 = models.CharField(max_length=64)
    term_count = models.PositiveIntegerField(default=0)
    columns = models.JSONField(default=list, blank=True, help_text="the table's column headings, col 2 first")
    terms = models.JSONField(default=list)
    loaded_at = models.DateTimeField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ClassificationIndexQuerySet.as_manager()

    class Meta:
        ordering = ["part", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["part", "effective_from"], name="one_index_part_per_day")]
        verbose_name = "classification index part"

    def __str__(self) -> str:
        return f"{self.get_part_display()} {self.label} (from {self.effective_from:%Y-%m-%d})"
