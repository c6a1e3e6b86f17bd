"""Interoperability records: API clients and their tokens, where imported rows came from, HL7 v2
messages as received, alerts for the interface team, and bulk export jobs.

Tokens and client secrets are stored only as SHA-256 digests: a copy of the database gives nobody
a working credential.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartdesk.patients.models import Patient


class Scope(models.TextChoices):
    """SMART-style scopes: whose data a token reaches (one patient, what its user may, everything)."""

    PATIENT_READ = "patient/*.read", "One patient's records (read)"
    USER_READ = "user/*.read", "What the client's user may read"
    USER_WRITE = "user/*.write", "What the client's user may change"
    SYSTEM_READ = "system/*.read", "Everything the client's user may read, for bulk export"


class ApiClient(models.Model):
    """A program allowed to call the FHIR API; it acts as `user` (whose role decides what it may do)."""

    name = models.CharField(max_length=120)
    client_id = models.CharField(max_length=40, unique=True)
    secret_digest = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_clients")
    scopes = models.CharField(max_length=200, help_text="Space-separated scopes the client may ask for")
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text="For patient/*.read: the one patient this client reaches")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "API client"
        permissions = [
            ("manage_api_clients", "Register API clients and revoke their tokens"),
            ("import_fhir", "Import FHIR bundles and bulk NDJSON files"),
            ("receive_hl7", "Apply HL7 v2 messages to the patient index and encounters"),
            ("bulk_export", "Start bulk FHIR exports"),
            ("work_hl7_queue", "See failed HL7 v2 messages, reprocess or ignore them; resend dead letters"),
            ("manage_hl7_destinations", "Add, change and stop HL7 v2 outbound destinations"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class ApiToken(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="tokens")
    token_digest = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=200)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"token of {self.client.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class SourceRecord(models.Model):
    """Which local row an imported resource became: imports find it again and change nothing."""

    source_system = models.CharField(max_length=200)
    resource_type = models.CharField(max_length=40)
    source_id = models.CharField(max_length=200)
    local_type = models.CharField(max_length=40)
    local_id = models.BigIntegerField()
    content_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_system", "resource_type", "source_id"],
                                               name="one_local_row_per_source_resource")]
        indexes = [models.Index(fields=["local_type", "local_id"])]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.source_id} -> {self.local_type} {self.local_id}"


class Hl7Status(models.TextChoices):
    ACCEPTED = "accepted", "Applied (AA)"
    REPEATED = "repeated", "Repeat of an applied message (AA, nothing changed)"
    CONFLICT = "conflict", "Control id reused with other content (AE)"
    ERROR = "error", "Refused: content error (AE)"
    REJECTED = "rejected", "Refused: unsupported or unreadable (AR)"


class Hl7Message(models.Model):
    """Every HL7 v2 message received, as received, with its SHA-256 and the answer sent."""

    control_id = models.CharField(max_length=40, blank=True, db_index=True)
    sending_application = models.CharField(max_length=60, blank=True)
    sending_facility = models.CharField(max_length=60, blank=True)
    message_type = models.CharField(max_length=20, blank=True)
    version = models.CharField(max_length=10, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    raw = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Hl7Status.choices)
    ack_code = models.CharField(max_length=2)
    ack_text = models.CharField(max_length=300, blank=True)
    # ERR-2 of the ACK sent (segment^sequence^field): the desk highlights this field.
    error_location = models.CharField(max_length=20, blank=True)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "HL7 message"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"])]
        constraints = [
            # One applied message per control id and sender: the database settles a race between two
            # connections delivering the same message at once.
            models.UniqueConstraint(fields=["sending_application", "sending_facility", "control_id"],
                                    condition=models.Q(status="accepted"), name="one_applied_message_per_control_id"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} ({self.status})"


FAILED_STATUSES = (Hl7Status.CONFLICT, Hl7Status.ERROR, Hl7Status.REJECTED)


class Hl7MessageRevision(models.Model):
    """The text of a failed message as an interface analyst corrected it. The message as received is
    never changed: each edit is a new numbered revision beside it."""

    message = models.ForeignKey(Hl7Message, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    raw = models.TextField()
    sha256 = models.CharField(max_length=64)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["message", "number"], name="one_hl7_revision_per_number")]
        verbose_name = "HL7 message revision"

    def __str__(self) -> str:
        return f"revision {self.number} of HL7 message {self.message_id}"


class Hl7Attempt(models.Model):
    """One reprocessing of a failed message from the desk: what was sent through intake (the message
    or one of its revisions) and the Hl7Message intake stored for it, with its answer."""

    message = models.ForeignKey(Hl7Message, on_delete=models.PROTECT, related_name="attempts")
    revision = models.ForeignKey(Hl7MessageRevision, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    result = models.OneToOneField(Hl7Message, on_delete=models.PROTECT, related_name="attempt_of")
    attempted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempted_at", "id"]
        verbose_name = "HL7 reprocessing attempt"

    def __str__(self) -> str:
        return f"attempt on HL7 message {self.message_id}: {self.result.ack_code}"


class Hl7Resolution(models.TextChoices):
    REPROCESSED = "reprocessed", "Reprocessed (applied)"
    IGNORED = "ignored", "Ignored"


class Hl7QueueDecision(models.Model):
    """How a failed message left the error queue: reprocessed successfully, or ignored with a reason."""

    message = models.OneToOneField(Hl7Message, on_delete=models.PROTECT, related_name="decision")
    resolution = models.CharField(max_length=12, choices=Hl7Resolution.choices)
    reason = models.TextField(blank=True)
    attempt = models.ForeignKey(Hl7Attempt, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "HL7 queue decision"

    def __str__(self) -> str:
        return f"HL7 message {self.message_id}: {self.resolution}"


class InterfaceAlert(models.Model):
    """Something the interface team must look at (a reused control id, a refused merge...)."""

    kind = models.CharField(max_length=40)
    message = models.TextField()
    hl7_message = models.ForeignKey(Hl7Message, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"


OUTBOUND_EVENTS = ("A04", "A08", "A28", "A31", "A40")


class Hl7Destination(models.Model):
    """A system told of registrations, updates and merges over MLLP (outbound ADT)."""

    name = models.CharField(max_length=60, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    # The events it takes, comma-separated (of OUTBOUND_EVENTS).
    events = models.CharField(max_length=60, default=",".join(OUTBOUND_EVENTS))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "HL7 destination"

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"

    @property
    def event_list(self) -> list[str]:
        return [event for event in self.events.split(",") if event]


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent and acknowledged (AA)"
    DEAD = "dead", "Dead letter: not delivered"


class Hl7Outbound(models.Model):
    """One ADT notification for one destination: written by the action that made the change, in its
    transaction (the outbox), and sent afterwards by `chartdesk hl7 send-outbound`."""

    destination = models.ForeignKey(Hl7Destination, on_delete=models.PROTECT, related_name="outbound")
    event = models.CharField(max_length=3)
    # A plain number, not a foreign key: a merge moves foreign keys to the survivor, and a notice
    # stays about the chart it was written for.
    patient_id = models.PositiveBigIntegerField(db_index=True)
    control_id = models.CharField(max_length=20, unique=True)
    message = models.TextField()
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    ack_code = models.CharField(max_length=2, blank=True)
    ack_text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "HL7 outbound message"
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"ADT^{self.event} {self.control_id} to {self.destination_id} ({self.status})"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


class ExportLevel(models.TextChoices):
    SYSTEM = "system", "System"
    GROUP = "group", "Group"
    PATIENT = "patient", "Patient"


class PatientGroup(models.Model):
    """A named list of patients (a cohort) for group-level bulk export."""

    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(Patient, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class ExportJob(models.Model):
    """A bulk $export request and its manifest; the work runs as a background job (`job`), whose state
    the status endpoint reports."""

    level = models.CharField(max_length=10, choices=ExportLevel.choices)
    group = models.ForeignKey(PatientGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resource_types = models.CharField(max_length=400, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="+")
    request_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    output = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    job = models.OneToOneField("jobs.Job", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.level}, {self.status})"


class ImportJob(models.Model):
    """A bulk $import request: NDJSON uploaded with the kick-off or a folder the site set aside for
    imports; claimed and run by the worker (or inline on poll), as the token's user and scopes."""

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="+")
    request_url = models.CharField(max_length=1000)
    input_source = models.CharField(max_length=200)  # "upload", or the folder's name under FHIR_IMPORT_DIR
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    charts_done = models.PositiveIntegerField(default=0)
    charts_total = models.PositiveIntegerField(default=0)
    output = models.JSONField(default=dict, blank=True)  # {"created": {type: n}, "unchanged": {type: n}}
    outcomes = models.JSONField(default=list, blank=True)  # one OperationOutcome per rejected resource
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "FHIR import job"
        verbose_name_plural = "FHIR import jobs"
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.input_source}, {self.status})"


class ResourceVersion(models.Model):
    """The FHIR JSON of one version of a resource the API serves, kept when the change commits.

    vread and _history answer from here, and `$export?_since=` asks it what changed. It is a copy of
    what the API showed, derived from the legal record (which keeps its own trail), so it is not a
    LegalRecordModel: when a row changes without its version number moving (a merge repoints an
    encounter; a claim is marked submitted), the version's content is refreshed in place, exactly as
    a read of that version would now show it. `patient_id` is the chart the version belonged to, a
    plain number rather than a foreign key so that a merge (which moves every foreign key to the
    survivor) leaves the history as it was.
    """

    resource_type = models.CharField(max_length=40)
    logical_id = models.CharField(max_length=64)
    version_id = models.PositiveIntegerField()
    last_updated = models.DateTimeField()
    patient_id = models.BigIntegerField(null=True, blank=True)
    content = models.JSONField()
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource_type", "logical_id", "version_id"],
                                               name="one_row_per_resource_version")]
        indexes = [models.Index(fields=["resource_type", "last_updated"])]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.logical_id}/_history/{self.version_id}"


class VersionKeeping(models.Model):
    """When version keeping began (one row, made by the migration that added ResourceVersion).

    A resource with no stored version has not changed since then; before then nobody can tell, so a
    `_since` earlier than this instant exports everything."""

    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"versions kept since {self.started_at:%Y-%m-%d %H:%M}"


class Hl7FollowUp(models.Model):
    """What a committed group of HL7 messages still owes the rest of the record: the chart-completion
    analysis of the visits it changed and the FHIR versions of what it changed. Written in the group's
    transaction (so it commits with the messages and cannot be lost), and done by the listener shortly
    after the group's ACKs have gone, several groups at once (`hl7v2/follow_up.py`). Kept when done."""

    encounter_ids = models.JSONField(default=list)
    resource_keys = models.JSONField(default=list)  # [[resource type, id], ...] as fhir.versions queues them
    queued_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "HL7 follow-up"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"HL7 follow-up {self.pk} ({'done' if self.done_at else 'waiting'})"
