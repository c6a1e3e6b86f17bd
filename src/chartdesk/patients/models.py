"""The master patient index: one row per person, the names and numbers they are known by.

Search keys (normalised and phonetic forms of every name) are stored beside the names so that a
search on 100,000 patients is a handful of index lookups, not a table scan.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from chartdesk.core import clock
from chartdesk.core.dates import age_on
from chartdesk.core.models import LegalRecordModel


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    NONBINARY = "X", "Non-binary / other"
    UNKNOWN = "U", "Unknown"


class Restriction(models.TextChoices):
    NONE = "", "Not restricted"
    VIP = "vip", "VIP"
    EMPLOYEE = "employee", "Employee"
    SENSITIVE = "sensitive", "Sensitive"


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    MERGED = "merged", "Merged into another record"


class Patient(LegalRecordModel):
    mrn = models.CharField("MRN", max_length=12, unique=True)
    status = models.CharField(max_length=10, choices=PatientStatus.choices, default=PatientStatus.ACTIVE)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    prefix = models.CharField(max_length=20, blank=True)
    given_name = models.CharField(max_length=80)
    middle_name = models.CharField(max_length=80, blank=True)
    family_name = models.CharField(max_length=80)
    suffix = models.CharField(max_length=20, blank=True)
    preferred_name = models.CharField(max_length=80, blank=True)
    # Empty only on an incomplete record loaded from a legacy index (see docs/patients-import.md);
    # registration at the desk, the API and HL7 always require it.
    birth_date = models.DateField(null=True, blank=True, db_index=True)
    # What a legacy index knew of an unknown birth date: "1975" or "1975-03".
    birth_date_partial = models.CharField(max_length=7, blank=True)
    # The fields an imported record still lacks ("given_name,birth_date"), of given_name, family_name
    # and birth_date; empty when complete.
    # The banner shows it and HIM's work list of incomplete records filters on it.
    incomplete_fields = models.CharField(max_length=60, blank=True, db_index=True)
    sex = models.CharField("sex", max_length=1, choices=Sex.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    preferred_language = models.CharField(max_length=40, blank=True, default="English")
    # As the registration or the feed reported them (HL7 PID-10, PID-22, PID-16: the code's text,
    # else the code); several races are joined with "; ".
    race = models.CharField(max_length=120, blank=True)
    ethnicity = models.CharField(max_length=80, blank=True)
    marital_status = models.CharField(max_length=40, blank=True)
    # PD1-4 as the feed reported it ("Family, Given (id)"): the patient's doctor may practise elsewhere,
    # so it is not a link to a provider of ours. Nullable so that SQLite adds the column in place (a
    # rebuilt table would lose its triggers); empty and NULL both mean "not reported".
    primary_care_provider = models.CharField(max_length=160, null=True, blank=True)
    email = models.EmailField(blank=True)
    deceased_at = models.DateTimeField(null=True, blank=True)

    # SSN: encrypted at rest (Fernet), last four kept for the masked display, and a keyed digest
    # so duplicate checks can compare SSNs without decrypting them.
    ssn_encrypted = models.TextField(blank=True)
    ssn_last4 = models.CharField(max_length=4, blank=True)
    ssn_digest = models.CharField(max_length=64, blank=True, db_index=True)

    restriction = models.CharField(max_length=10, choices=Restriction.choices, default=Restriction.NONE, blank=True)
    restriction_note = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=clock.now)
    revision = models.PositiveIntegerField(default=1)  # optimistic concurrency: edits carry the revision they read

    class Meta:
        indexes = [models.Index(fields=["family_name", "given_name"])]
        permissions = [
            ("search_patients", "Search the patient index"),
            ("view_chart", "Open a patient's chart"),
            ("register_patient", "Register a new patient"),
            ("edit_patient", "Change demographics and identifiers"),
            ("reveal_ssn", "See a patient's full SSN"),
            ("restrict_chart", "Restrict charts and grant access to them"),
            ("import_patients", "Load a legacy patient index from a file"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    @property
    def is_retired(self) -> bool:
        """Merged into another chart: read-only, and every write belongs on the survivor."""
        return self.status == PatientStatus.MERGED

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}" + (f" {self.middle_name[:1]}." if self.middle_name else "")

    @property
    def masked_ssn(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""

    INCOMPLETE_LABELS = {"given_name": "given name", "family_name": "family name", "birth_date": "date of birth"}

    @property
    def missing_labels(self) -> list[str]:
        """What an incomplete record lacks, in words ("given name", "date of birth")."""
        return [self.INCOMPLETE_LABELS.get(name, name) for name in self.incomplete_fields.split(",") if name]

    @property
    def is_restricted(self) -> bool:
        return bool(self.restriction)

    def age_on(self, day: object = None) -> int | None:
        """Age in whole years; None while the date of birth is unknown (an incomplete legacy record)."""
        from datetime import date

        if self.birth_date is None:
            return None
        end = day if isinstance(day, date) else clock.localdate()
        if self.deceased_at and not isinstance(day, date):
            end = timezone.localtime(self.deceased_at).date()
        return age_on(self.birth_date, end)


class NameUse(models.TextChoices):
    OFFICIAL = "official", "Legal name"
    PREVIOUS = "previous", "Previous name"
    MAIDEN = "maiden", "Maiden name"
    ALIAS = "alias", "Alias"
    NICKNAME = "nickname", "Nickname"


class PatientName(LegalRecordModel):
    """Every name a patient is known by, the legal one included, with its search keys."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="names")
    use = models.CharField(max_length=10, choices=NameUse.choices)
    given_name = models.CharField(max_length=80, blank=True)
    middle_name = models.CharField(max_length=80, blank=True)
    family_name = models.CharField(max_length=80)
    active = models.BooleanField(default=True)  # the old legal name row is deactivated, never deleted
    recorded_at = models.DateTimeField(default=clock.now)

    family_key = models.CharField(max_length=80, db_index=True)
    given_key = models.CharField(max_length=80, db_index=True)
    family_phonetic = models.CharField(max_length=20, db_index=True)
    given_phonetic = models.CharField(max_length=20, db_index=True)
    # The family name's letters sorted: transposed letters ("Jonhson") keep the key of "Johnson".
    family_letters = models.CharField(max_length=80, db_index=True, default="")

    class Meta:
        # Search by given name narrowed to family names with the typed initial ("John M...") reads
        # only the index range, instead of every row for a common given name.
        # The two *_cover indexes hold every column a search reads from a name row (search.NAME_FIELDS),
        # so the rows of a common name are read from the index alone, not fetched one by one.
        indexes = [
            models.Index(fields=["family_key", "given_key", "given_phonetic", "patient_id", "use", "family_name",
                                 "given_name", "family_phonetic", "family_letters"],
                         name="patients_name_family_cover"),
            models.Index(fields=["given_key", "family_key", "patient_id", "use", "family_name", "given_name",
                                 "family_phonetic", "given_phonetic", "family_letters"],
                         name="patients_name_given_cover"),
            models.Index(fields=["given_phonetic", "family_key"], name="patients_name_givenph_family"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.use})"


class AddressUse(models.TextChoices):
    HOME = "home", "Home"
    WORK = "work", "Work"
    MAILING = "mailing", "Mailing"
    OLD = "old", "Former"


class PatientAddress(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="addresses")
    use = models.CharField(max_length=10, choices=AddressUse.choices, default=AddressUse.HOME)
    line1 = models.CharField(max_length=120)
    line2 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=80)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    country = models.CharField(max_length=2, default="US")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "patient addresses"

    def __str__(self) -> str:
        return f"{self.line1}, {self.city}, {self.state} {self.postal_code}"


class PhoneUse(models.TextChoices):
    HOME = "home", "Home"
    MOBILE = "mobile", "Mobile"
    WORK = "work", "Work"


class PatientPhone(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="phones")
    use = models.CharField(max_length=10, choices=PhoneUse.choices, default=PhoneUse.MOBILE)
    number = models.CharField(max_length=15, db_index=True)  # digits only
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        n = self.number
        return f"({n[:3]}) {n[3:6]}-{n[6:]}" if len(n) == 10 else n


class IdentifierType(models.TextChoices):
    MEDICAL_RECORD = "MR", "Medical record number (other facility)"
    MEMBER_ID = "MB", "Health plan member ID"
    MEDICARE_MBI = "MC", "Medicare beneficiary identifier (MBI)"
    MEDICAID = "MA", "Medicaid number"
    DRIVERS_LICENSE = "DL", "Driver's licence"
    PASSPORT = "PPN", "Passport"
    RETIRED_MRN = "RMRN", "Retired MRN of this facility"
    PATIENT_INTERNAL = "PI", "Patient internal identifier (other system)"
    PATIENT_EXTERNAL = "PT", "Patient external identifier"
    PERSON_NUMBER = "PN", "Person number"
    NATIONAL = "NI", "National unique individual identifier"


class PatientIdentifier(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="identifiers")
    type = models.CharField(max_length=4, choices=IdentifierType.choices)
    issuer = models.CharField(max_length=80, help_text="Who assigned it: facility, payer, state, country")
    value = models.CharField(max_length=40)
    value_key = models.CharField(max_length=40, db_index=True)  # upper-case, no spaces or dashes
    active = models.BooleanField(default=True)
    recorded_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.value} ({self.issuer})"


class ContactRole(models.TextChoices):
    NEXT_OF_KIN = "next_of_kin", "Next of kin"
    EMERGENCY = "emergency", "Emergency contact"
    OTHER = "other", "Other contact"


class PatientContact(LegalRecordModel):
    """A person to contact about the patient (next of kin, emergency contact: HL7 NK1). Replaced
    contacts are deactivated, never deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="contacts")
    role = models.CharField(max_length=12, choices=ContactRole.choices, default=ContactRole.NEXT_OF_KIN)
    name = models.CharField(max_length=160)
    relationship = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=240, blank=True)
    active = models.BooleanField(default=True)
    recorded_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class MrnSequence(models.Model):
    """The one counter MRNs come from. Patients are never deleted, so a number is never reused."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_serial = models.BigIntegerField(default=1_000_000)

    class Meta:
        verbose_name = "MRN sequence"

    def __str__(self) -> str:
        return f"MRN serial {self.last_serial}"


class ChartAccessGrant(models.Model):
    """A named user may open a restricted chart (granted by a privacy officer or HIM manager)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="access_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chart_grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    granted_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} may open {self.patient.mrn}"


class BreakTheGlassAccess(models.Model):
    """Emergency access to a restricted chart: a reason, a clock, and a prominent audit entry."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="break_the_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    started_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "break-the-glass access"
        verbose_name_plural = "break-the-glass accesses"
        indexes = [models.Index(fields=["user", "patient", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} broke the glass on {self.patient.mrn}"


class MergeEvent(LegalRecordModel):
    """One merge of a duplicate chart (the retired one) into the survivor, and its undoing.

    The rows it moved are listed in MergeMove, so that an unmerge puts back exactly those rows.
    """

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_survived")
    retired = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_retired")
    survivor_mrn = models.CharField(max_length=12)
    retired_mrn = models.CharField(max_length=12)
    reason = models.CharField(max_length=500)
    merged_at = models.DateTimeField(default=clock.now)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_counts = models.JSONField(default=dict)  # model label -> rows moved, for the history page
    # The highest primary key of every related table when the merge ran: rows above it that sit on
    # the survivor at unmerge time were added after the merge and stay there (listed for review).
    high_water = models.JSONField(default=dict)
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    unmerge_reason = models.CharField(max_length=500, blank=True)
    review = models.JSONField(default=list)  # records the unmerge left on the survivor, for the HIM manager

    class Meta:
        ordering = ["-merged_at", "-pk"]
        permissions = [("merge_patients", "Merge duplicate patients and undo merges")]

    def __str__(self) -> str:
        return f"merge #{self.pk}: {self.retired_mrn} into {self.survivor_mrn}"

    @property
    def is_undone(self) -> bool:
        return self.unmerged_at is not None

    def moved_records(self) -> list[tuple[str, int]]:
        """The moved counts as the history page shows them: "Documents", not "charts.Document.patient".

        `moved_counts` keeps the model label and field (what an unmerge needs); a model that has since
        left the code keeps its stored key, so that the history never loses a line.
        """
        rows = []
        for key, count in self.moved_counts.items():
            label, _, field_name = key.rpartition(".")
            try:
                model = apps.get_model(label)
                field = model._meta.get_field(field_name)
            except (LookupError, ValueError, FieldDoesNotExist):
                rows.append((key, count))
                continue
            name = capfirst(str(model._meta.verbose_name_plural))
            if field_name != "patient":
                name = f"{name} ({getattr(field, 'verbose_name', field_name)})"
            rows.append((name, count))
        return rows


class ImportRunStatus(models.TextChoices):
    RUNNING = "running", "Running or stopped part-way"
    FINISHED = "finished", "Finished"


class PatientImportRun(models.Model):
    """One load of a legacy index file. `last_line` is the last line whose chunk committed, so a run
    that stopped (a crash, a killed process) is continued from there by rerunning the same command."""

    source = models.CharField(max_length=80)  # the issuer of the file's source_id values
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ImportRunStatus.choices, default=ImportRunStatus.RUNNING)
    last_line = models.PositiveIntegerField(default=1)  # the header is line 1
    counts = models.JSONField(default=dict)  # loaded, incomplete, already_loaded, conflicts, skipped_bad
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "file_sha256", "status"])]

    def __str__(self) -> str:
        return f"import #{self.pk} of {self.file_name} from {self.source} ({self.status})"


class MergeMoveKind(models.TextChoices):
    MOVED = "moved", "Moved from the retired chart"
    ADDED = "added", "Added to the survivor by the merge"


class MergeMove(LegalRecordModel):
    """One row a merge touched: moved from the retired patient, or added to the survivor (an alias
    name, the retired MRN). Kept by label and primary key, so that any app's rows can be listed."""

    merge = models.ForeignKey(MergeEvent, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField(max_length=5, choices=MergeMoveKind.choices, default=MergeMoveKind.MOVED)
    model_label = models.CharField(max_length=100)
    field_name = models.CharField(max_length=100)
    object_pk = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["model_label", "object_pk"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.model_label}.{self.field_name} #{self.object_pk}"


class DuplicateBand(models.TextChoices):
    MATCH = "match", "Match"
    REVIEW = "review", "Review"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "To review"
    RESEARCH = "research", "Needs research"
    MERGED = "merged", "Merged"
    NOT_DUPLICATE = "not_duplicate", "Not a duplicate"
    GONE = "gone", "No longer a candidate"


class DuplicateCandidate(models.Model):
    """A pair of charts the whole-index scan found may be one person (patients.duplicates).

    `patient_low` is the one with the smaller primary key, so a pair has one row. A "not a
    duplicate" decision keeps the revisions both charts had when it was made: a later scan does not
    offer the pair again unless one of them has changed since.
    """

    patient_low = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    patient_high = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()
    match_weight = models.FloatField()
    band = models.CharField(max_length=6, choices=DuplicateBand.choices)
    evidence = models.JSONField(default=list)  # [{"field", "level", "weight"}] per compared field
    flags = models.JSONField(default=list)  # household rule layer: why the pair is not in the match band
    status = models.CharField(max_length=14, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN,
                              db_index=True)
    first_found_at = models.DateTimeField(default=clock.now)
    scanned_at = models.DateTimeField(default=clock.now)
    low_revision = models.PositiveIntegerField(default=0)  # the revisions a decision was made on
    high_revision = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    note = models.CharField(max_length=500, blank=True)
    merge = models.ForeignKey(MergeEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "duplicate candidate pair"
        verbose_name_plural = "duplicate candidate pairs"
        ordering = ["-probability", "pk"]
        constraints = [models.UniqueConstraint(fields=["patient_low", "patient_high"], name="duplicate_pair_once")]

    def __str__(self) -> str:
        return f"duplicate pair #{self.pk} ({self.probability:.3f}, {self.status})"


class DuplicateScan(models.Model):
    """One run of the whole-index scan: the index's size and what was found, for the duplicate rate
    and its trend on the HIM manager's home page."""

    started_at = models.DateTimeField(default=clock.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patients = models.PositiveIntegerField(default=0)  # active charts scanned
    pairs = models.PositiveIntegerField(default=0)  # candidate pairs open after the scan
    patients_in_pairs = models.PositiveIntegerField(default=0)  # distinct charts in those pairs
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = "duplicate scan"
        verbose_name_plural = "duplicate scans"
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"duplicate scan #{self.pk}: {self.pairs} pairs in {self.patients} charts"

    @property
    def duplicate_rate(self) -> float:
        """Share of the index in an open candidate pair (AHIMA's duplicate rate counts charts)."""
        return self.patients_in_pairs / self.patients if self.patients else 0.0

    @property
    def duplicate_rate_percent(self) -> float:
        return 100 * self.duplicate_rate
