"""Shared pieces of the FHIR mapping: the adapter base class, references, codings, dates, search
parameter parsing."""

from __future__ import annotations

import calendar
import re
from abc import ABC, abstractmethod
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.utils import timezone

from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import whole_number
from chartdesk.interop.fhir.validation import FhirInvalid

MRN_SYSTEM = "urn:chartdesk:mrn"
ACCOUNT_SYSTEM = "urn:chartdesk:account-number"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
LOINC = "http://loinc.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
CODE_SYSTEM_URIS = {
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "icd10pcs": "http://www.cms.gov/Medicare/Coding/ICD10",
    "cpt": "http://www.ama-assn.org/go/cpt",
    "hcpcs": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "loinc": LOINC,
}
CODE_SYSTEMS_BY_URI = {uri: slug for slug, uri in CODE_SYSTEM_URIS.items()}


class SearchError(Exception):
    """A search the server cannot answer (unknown or malformed parameter): 400 with the parameter."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


WRITE_INTERACTIONS = ("create", "update")


class Adapter(ABC):
    """Maps one FHIR resource type to Chartdesk rows; subclasses fill in what they support.

    A resource is writable through the API exactly when its adapter implements `create` or `update`;
    the views answer 405 for the others, so the base methods below are never reached through HTTP.
    """

    resource_type: ClassVar[str]
    search_params: ClassVar[dict[str, str]] = {}  # name -> FHIR search parameter type
    needs_patient: ClassVar[bool] = False  # searches must name the patient (US Core)
    searchable_without_patient: ClassVar[tuple[str, ...]] = ()  # ...unless they name one of these
    patient_data: ClassVar[bool] = True
    include_patient: ClassVar[bool] = False  # supports _include=<Type>:patient

    @property
    def writable(self) -> tuple[str, ...]:
        """The write interactions this resource supports: the ones its adapter implements."""
        return tuple(kind for kind in WRITE_INTERACTIONS if getattr(type(self), kind) is not getattr(Adapter, kind))

    def read(self, caller: Any, logical_id: str) -> Any:
        raise NotFound(self.resource_type)

    @abstractmethod
    def to_fhir(self, row: Any) -> dict[str, Any]:
        """The row as a FHIR resource (a dict that fhir.resources validates)."""

    def version_of(self, row: Any) -> str | None:
        return None

    def patient_id_of(self, row: Any) -> int | None:
        return getattr(row, "patient_id", None)

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        raise SearchError("_type", f"{self.resource_type} cannot be searched.")

    def rows_for_patient(self, caller: Any, patient: Any) -> QuerySet[Any] | None:
        """Every row of this type in one chart (for $everything and export), or None if not patient data."""
        return None

    def create(self, caller: Any, resource: dict[str, Any]) -> Any:
        raise ChartdeskError(f"{self.resource_type} is not created through the API.")

    def update(self, caller: Any, row: Any, resource: dict[str, Any], expected_version: int) -> Any:
        raise ChartdeskError(f"{self.resource_type} is not updated through the API.")


class ChartRecordAdapter(Adapter):
    """A record in a patient's chart, read through its app's access functions (which check the
    permission and the chart's restriction and audit the read), versioned by its `revision`."""

    needs_patient = True
    include_patient = True
    what: ClassVar[str]  # the word "not found" names, and the local id's kind

    @abstractmethod
    def access(self, user: Any, pk: int) -> Any:
        """The app's `access_<noun>_by_id`."""

    @abstractmethod
    def in_chart(self, user: Any, patient: Any) -> QuerySet[Any]:
        """The app's "<nouns>_in_chart": the rows of one chart this user may see."""

    def read(self, caller: Any, logical_id: str) -> Any:
        return self.access(caller.user, local_id(logical_id, self.what))

    def version_of(self, row: Any) -> str:
        return str(row.revision)

    def rows_for_patient(self, caller: Any, patient: Any) -> QuerySet[Any]:
        return self.in_chart(caller.user, patient).order_by("pk")


class DirectoryAdapter(Adapter):
    """A resource of the organisation's directory (Practitioner, Organization): no patient data, read
    by id, searched by `_id`, by NPI `identifier` and by what `narrow` adds."""

    patient_data = False
    model: ClassVar[Any]
    what: ClassVar[str]  # the word "not found" names

    def read(self, caller: Any, logical_id: str) -> Any:
        row = self.model.objects.filter(pk=local_id(logical_id, self.what)).first()
        if row is None:
            raise NotFound(self.what)
        return row

    def patient_id_of(self, row: Any) -> None:
        return None

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        found = self.model.objects.all()
        for raw in params.get("_id", []):
            found = found.filter(pk__in=[value for value in one_of([raw]) if value.isdecimal()])
        for raw in params.get("identifier", []):
            found = found.filter(npi__in=[token_parts(value)[1] for value in one_of([raw])])
        return self.narrow(found, params).order_by("pk")

    def narrow(self, found: QuerySet[Any], params: dict[str, list[str]]) -> QuerySet[Any]:
        return found


def reference(resource_type: str, pk: Any, display: str = "") -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": f"{resource_type}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def codeable(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    concept: dict[str, Any] = {"coding": [coding]}
    if text:
        concept["text"] = text
    return concept


def instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def meta(version: str | None, updated: datetime | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if version is not None:
        found["versionId"] = version
    if updated is not None:
        found["lastUpdated"] = instant(updated)
    return found


def pruned(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without empty values (FHIR forbids empty strings, lists and objects)."""
    result = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = pruned(value)
        elif isinstance(value, list):
            value = [pruned(item) if isinstance(item, dict) else item for item in value]
            value = [item for item in value if item not in ({}, "", None)]
        if value in ("", None, [], {}):
            continue
        result[key] = value
    return result


def local_id(logical_id: Any, what: str) -> int:
    text = str(logical_id)
    if not text.isdecimal() or len(text) > 18:
        raise NotFound(what)
    return int(text)


def reference_id(value: str, resource_type: str, parameter: str) -> int:
    """'Patient/12', '12' or a full URL ending in Patient/12 -> 12."""
    text = value.strip()
    if "/" in text:
        kind, _, key = text.rstrip("/").rpartition("/")
        if not kind.endswith(resource_type):
            raise SearchError(parameter, f"{parameter}: expected a {resource_type} reference, got {value!r}.")
        text = key
    if not (text.isascii() and text.isdecimal()):
        raise SearchError(parameter, f"{parameter}: {value[:40]!r} is not a {resource_type} id.")
    # An id longer than any the database holds names no record: 0, like posted_id, matches none.
    return whole_number(text) or 0


PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
FHIR_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$")


class Beyond(Enum):
    """A search bound outside what a database timestamp holds (years 1 to 9999 in UTC): a date at the
    edge of the calendar, moved there by its time zone offset, lies before or after every stored moment."""

    EARLIEST = "before every moment"
    LATEST = "after every moment"


Bound = datetime | Beyond


def _date_range(value: str, parameter: str) -> tuple[datetime, datetime]:
    """The first and the last moment (inclusive, to the microsecond) a FHIR date value covers: a year, a
    month, a day or a moment (to the second, or to the fraction given), in its own time zone or ours."""
    tz = timezone.get_current_timezone()
    # An unencoded "+" in a query string arrives as a space; nothing else in a date can be one.
    value = value.replace(" ", "+")
    try:
        if not FHIR_DATE.match(value):
            raise ValueError(value)
        if len(value) == 4:
            return datetime(int(value), 1, 1, tzinfo=tz), datetime(int(value), 12, 31, 23, 59, 59, 999999, tzinfo=tz)
        if len(value) == 7:
            year, month = int(value[:4]), int(value[5:7])
            days = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
            return (datetime(year, month, 1, tzinfo=tz),
                    datetime(year, month, days, 23, 59, 59, 999999, tzinfo=tz))
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(day, time.max, tzinfo=tz)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, tz)
        # A moment given to the second covers that second; one with a fraction covers that microsecond.
        last = moment if moment.microsecond or "." in value else moment.replace(microsecond=999999)
        return moment, last
    except (ValueError, OverflowError):
        raise SearchError(parameter, f"{parameter}: {value!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD "
                                     "or a date and time).") from None


def _in_utc(moment: datetime) -> Bound:
    """The moment as the database compares it (UTC), or where it lies if UTC cannot hold it."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return Beyond.EARLIEST if moment.year == 1 else Beyond.LATEST


def _compare(field: str, operator: str, bound: Bound | date) -> Q:
    """`field operator bound`; a bound beyond the calendar matches every stored value or none."""
    if not isinstance(bound, Beyond):
        return Q(**{f"{field}__{operator}": bound})
    everything_below = operator in ("lt", "lte")
    if everything_below == (bound is Beyond.LATEST):
        return Q(**{f"{field}__isnull": False})
    return Q(pk__in=[])


def date_condition(field: str, raw: str, parameter: str, *, date_only: bool = False) -> Q:
    """A Q for one FHIR date search value with its prefix, on a DateTimeField (or DateField)."""
    prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
    value = raw[2:] if raw[:2] in PREFIXES else raw
    if prefix not in ("eq", "gt", "lt", "ge", "le"):
        raise SearchError(parameter, f"{parameter}: the prefix {prefix!r} is not supported (eq, gt, lt, ge, le).")
    first_moment, last_moment = _date_range(value, parameter)
    first: Bound | date = first_moment.date() if date_only else _in_utc(first_moment)
    last: Bound | date = last_moment.date() if date_only else _in_utc(last_moment)
    if prefix == "eq":
        return _compare(field, "gte", first) & _compare(field, "lte", last)
    if prefix == "ge":
        return _compare(field, "gte", first)
    if prefix == "gt":
        return _compare(field, "gt", last)
    if prefix == "le":
        return _compare(field, "lte", last)
    return _compare(field, "lt", first)


EARLIEST_SHOWN = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST_SHOWN = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def storable_moment(moment: datetime, element: str) -> datetime:
    """A moment from a resource, or FhirInvalid naming its element when no stored timestamp can hold it:
    the database keeps UTC (years 1 to 9999), and the API shows it in the local time zone."""
    where = _in_utc(moment)
    if isinstance(where, Beyond) or not EARLIEST_SHOWN <= where <= LATEST_SHOWN:
        raise FhirInvalid([(element, f"{moment.isoformat()} lies outside the years 1 to 9999 that can be stored")])
    return moment


INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def parse_instant(raw: str, parameter: str) -> datetime:
    """A FHIR instant (date, time to the second and a time zone), or SearchError naming the parameter."""
    # An unencoded "+" in a query string arrives as a space; nothing else in an instant can be one.
    value = raw.strip().replace(" ", "+")
    problem = SearchError(parameter, f"{parameter}: {raw!r} is not a FHIR instant (YYYY-MM-DDThh:mm:ss with a "
                                     "time zone, such as 2026-01-31T09:00:00Z or 2026-01-31T09:00:00-05:00).")
    match = INSTANT.match(value)
    if match is None:
        raise problem
    fraction = match.group(1) or ""
    try:
        moment = datetime.fromisoformat(value.replace(fraction, fraction[:7]).replace("Z", "+00:00"))
    except ValueError:
        raise problem from None
    # At the edges of the calendar an offset can carry the moment out of what UTC holds. Such a moment
    # lies before (after) everything stored, and so does a day inside the calendar's first (last) day,
    # which unlike the edge itself can still be shown in any time zone.
    where = _in_utc(moment)
    if where is Beyond.EARLIEST or (not isinstance(where, Beyond) and where < EARLIEST_SHOWN):
        return EARLIEST_SHOWN
    if where is Beyond.LATEST or (not isinstance(where, Beyond) and where > LATEST_SHOWN):
        return LATEST_SHOWN
    return where


def token_parts(raw: str) -> tuple[str | None, str]:
    """'system|code' -> (system, code); 'code' -> (None, code); '|code' -> ('', code)."""
    if "|" in raw:
        system, _, code = raw.partition("|")
        return system, code
    return None, raw


def one_of(values: list[str]) -> list[str]:
    """A parameter's comma-separated alternatives (FHIR's OR), flattened."""
    return [part for value in values for part in value.split(",") if part]
