"""Bulk loading of a synthetic patient index for the million-chart benchmarks: the patient, name,
address, phone and identifier rows registration writes, written straight into their tables.

A benchmark fixture, not a product path: no audit event per row, no duplicate check, no
registration notice (a legacy index load of a million charts is what is being imitated). Through
the ORM (build_patient, registration_rows, bulk_create) a million charts took about an hour on
two busy cores; here the rows are tuples, inserted with executemany in large transactions on
SQLite and with COPY on PostgreSQL.

The rows are the product's own, not a copy of its rules:
- every value is cleaned by the product's validators (patients.actions.clean_address, the name,
  date, SSN and phone cleaners), each distinct value once;
- every column a row does not vary (timestamps, defaults, use, country...) is taken from a row
  built by the product's builders (build_patient, build_patient_name, registration_rows) for a
  template registration, so a new model field comes with the value registration gives it;
- search keys come from patients.names.name_keys, the SSN from core.crypto (encrypted, keyed
  digest), MRNs from patients.mrn.allocate_mrns.
tests/bench/test_mpi_bulk.py compares a bulk-loaded chart with one registered through
`do_register_patient`: the same rows, so search, matching and the scan see both alike.

Input: a pandas frame with the generator's columns (bench._mpi_synthetic.COLUMNS: given_name,
family_name, suffix, birth_date as ISO text or "", sex, address_line, city, state, postal_code,
phone, ssn), optionally `phone_use` and `identifier_type`, `identifier_issuer`, `identifier_value`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from itertools import repeat
from typing import Any

BATCH = 50_000  # rows per executemany call on SQLite
SQLITE_CACHE_KIB = 1_000_000  # page cache while loading (see _large_page_cache)


def _distinct(values: Sequence[Any], compute: Callable[[Any], Any]) -> list[Any]:
    """`compute` of each distinct value once (a million charts hold a few thousand names)."""
    cache: dict[Any, Any] = {}
    out = []
    for value in values:
        if value not in cache:
            cache[value] = compute(value)
        out.append(cache[value])
    return out


class _Table:
    """One model's insert: the column order, and the constant values of a product-built row."""

    def __init__(self, template: Any, varying: Sequence[str], connection: Any) -> None:
        self.model = type(template)
        self.table = self.model._meta.db_table
        fields = [f for f in self.model._meta.concrete_fields]
        self.columns = [f.column for f in fields]
        self.varying = list(varying)
        missing = set(self.varying) - {f.attname for f in fields}
        if missing:
            raise ValueError(f"{self.model.__name__} has no field {sorted(missing)}")
        # Constants as Django would send them (datetimes in SQLite's text form, and so on).
        self.constants = {f.attname: f.get_db_prep_save(getattr(template, f.attname), connection)
                          for f in fields if f.attname not in self.varying}
        self.attnames = [f.attname for f in fields]

    def rows(self, count: int, columns: dict[str, Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
        """Row tuples in column order from the varying columns and the constants."""
        ordered = [columns[name] if name in columns else repeat(self.constants[name], count)
                   for name in self.attnames]
        return zip(*ordered, strict=False)


def _write(connection: Any, table: _Table, rows: Iterable[tuple[Any, ...]]) -> None:
    columns = ", ".join(f'"{column}"' for column in table.columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One COPY of 100,000 rows into indexed tables outlasts the desk's statement timeout
            # (CHARTDESK_DB_STATEMENT_TIMEOUT_MS) on a busy machine; lifted for this transaction only.
            cursor.execute("SET LOCAL statement_timeout = 0")
            with cursor.cursor.copy(f'COPY "{table.table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join("?" for _ in table.columns)
    sql = f'INSERT INTO "{table.table}" ({columns}) VALUES ({marks})'
    raw = connection.connection
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            raw.executemany(sql, batch)
            batch = []
    if batch:
        raw.executemany(sql, batch)


def _next_ids(connection: Any, models: Iterable[Any]) -> dict[Any, int]:
    with connection.cursor() as cursor:
        found = {}
        for model in models:
            cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{model._meta.db_table}"')
            found[model] = int(cursor.fetchone()[0]) + 1
    return found


def _reset_sequences(connection: Any, models: Sequence[Any]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's rowid continues from the largest id by itself
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


class Cleaned:
    """The frame's values through the product's validators, column by column."""

    def __init__(self, frame: Any) -> None:
        from chartdesk.patients.actions import clean_address, clean_identifier, clean_phone
        from chartdesk.patients.models import Sex
        from chartdesk.patients.schemas import AddressInput, IdentifierInput
        from chartdesk.patients.validation import clean_birth_date, clean_required_name, clean_ssn

        def name(field: str, label: str) -> Callable[[str], str]:
            return lambda text: clean_required_name(text, field, label) if text.strip() else ""

        self.count = len(frame)
        self.given = _distinct(frame["given_name"].tolist(), name("given_name", "Given name"))
        self.family = _distinct(frame["family_name"].tolist(), name("family_name", "Family name"))
        if any(not g and not f for g, f in zip(self.given, self.family, strict=True)):
            raise ValueError("a record needs at least a given or a family name")
        self.suffix = [text.strip() for text in frame["suffix"].tolist()]
        self.birth_date: list[date | None] = _distinct(
            frame["birth_date"].tolist(), lambda text: clean_birth_date(date.fromisoformat(text)) if text else None)
        self.sex = frame["sex"].tolist()
        if not set(self.sex) <= set(Sex.values):
            raise ValueError(f"sex outside {Sex.values}")
        self.ssn = [clean_ssn(text) if text.strip() else "" for text in frame["ssn"].tolist()]
        uses = frame["phone_use"].tolist() if "phone_use" in frame else ["home"] * self.count
        self.phone = [clean_phone(use, number) if number else None
                      for use, number in zip(uses, frame["phone"].tolist(), strict=True)]
        self.address = [clean_address(AddressInput(line1=line, city=city, state=state, postal_code=postal))
                        if line else None
                        for line, city, state, postal in zip(frame["address_line"].tolist(), frame["city"].tolist(),
                                                             frame["state"].tolist(),
                                                             frame["postal_code"].tolist(), strict=True)]
        self.identifier: list[Any] = [None] * self.count
        if "identifier_value" in frame:
            self.identifier = [clean_identifier(IdentifierInput(type=kind, issuer=issuer, value=value))
                               if value else None
                               for kind, issuer, value in zip(frame["identifier_type"].tolist(),
                                                              frame["identifier_issuer"].tolist(),
                                                              frame["identifier_value"].tolist(), strict=True)]

    def incomplete_fields(self) -> list[str]:
        # As patients.actions.missing_fields words it, in its order.
        return [",".join(name for name, absent in (("given_name", not given), ("family_name", not family),
                                                   ("birth_date", born is None)) if absent)
                for given, family, born in zip(self.given, self.family, self.birth_date, strict=True)]


def _templates(user: Any) -> dict[str, Any]:
    """One row of each table as registration builds it, for the columns the load does not vary."""
    from chartdesk.patients.actions import build_patient, clean_registration, registration_rows
    from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration

    registration = clean_registration(PatientRegistration(
        given_name="Template", family_name="Row", birth_date=date(1970, 1, 1), sex="F", ssn="123456789",
        phones=(("home", "2175550100"),),
        addresses=(AddressInput(line1="1 Main St", city="Springfield", state="IL", postal_code="62704"),),
        identifiers=(IdentifierInput(type="MB", issuer="Template", value="T1"),)))
    patient = build_patient(registration, mrn="0", acting_user=user)
    rows = registration_rows(patient, registration)
    return {"patient": patient, "name": rows["names"][0], "address": rows["addresses"][0],
            "phone": rows["phones"][0], "identifier": rows["identifiers"][0]}


def bulk_load(frame: Any, *, user: Any, connection: Any = None) -> list[int]:
    """Insert one chart per frame row, with its rows; returns the patients' ids in frame order.
    Runs in one transaction per table batch on SQLite, COPY on PostgreSQL."""
    from django.db import connection as default_connection
    from django.db import transaction

    from chartdesk.core.crypto import encrypt_text, keyed_digest
    from chartdesk.patients.models import Patient, PatientAddress, PatientIdentifier, PatientName, PatientPhone
    from chartdesk.patients.mrn import allocate_mrns
    from chartdesk.patients.names import name_keys
    from chartdesk.patients.validation import identifier_value_key

    connection = connection or default_connection
    cleaned = Cleaned(frame)
    count = cleaned.count
    templates = _templates(user)
    mrns = allocate_mrns(count)
    models = [Patient, PatientName, PatientAddress, PatientPhone, PatientIdentifier]
    first = _next_ids(connection, models)
    patient_ids = list(range(first[Patient], first[Patient] + count))

    patients = _Table(templates["patient"], ["id", "mrn", "given_name", "family_name", "suffix", "birth_date",
                                             "incomplete_fields", "sex", "ssn_encrypted", "ssn_last4",
                                             "ssn_digest"], connection)
    family_keys = _distinct(cleaned.family, lambda text: name_keys(text, ""))
    given_keys = _distinct(cleaned.given, lambda text: name_keys("", text))
    names = _Table(templates["name"], ["id", "patient_id", "family_name", "given_name", "family_key", "given_key",
                                       "family_phonetic", "given_phonetic", "family_letters"], connection)
    with_address = [i for i, address in enumerate(cleaned.address) if address is not None]
    addresses = _Table(templates["address"], ["id", "patient_id", "use", "line1", "line2", "city", "state",
                                              "postal_code", "country"], connection)
    with_phone = [i for i, phone in enumerate(cleaned.phone) if phone is not None]
    phones = _Table(templates["phone"], ["id", "patient_id", "use", "number"], connection)
    with_identifier = [i for i, identifier in enumerate(cleaned.identifier) if identifier is not None]
    identifiers = _Table(templates["identifier"], ["id", "patient_id", "type", "issuer", "value", "value_key"],
                         connection)

    def iso(born: date | None) -> str | None:
        return born.isoformat() if born else None

    ssn = cleaned.ssn
    plan = [
        (patients, count, {
            "id": patient_ids, "mrn": mrns, "given_name": cleaned.given, "family_name": cleaned.family,
            "suffix": cleaned.suffix, "birth_date": [iso(born) for born in cleaned.birth_date],
            "incomplete_fields": cleaned.incomplete_fields(), "sex": cleaned.sex,
            "ssn_encrypted": [encrypt_text(digits) for digits in ssn], "ssn_last4": [d[-4:] for d in ssn],
            "ssn_digest": [keyed_digest(digits) for digits in ssn]}),
        (names, count, {
            "id": range(first[PatientName], first[PatientName] + count), "patient_id": patient_ids,
            "family_name": cleaned.family, "given_name": cleaned.given,
            "family_key": [k.family_key for k in family_keys], "given_key": [k.given_key for k in given_keys],
            "family_phonetic": [k.family_phonetic for k in family_keys],
            "given_phonetic": [k.given_phonetic for k in given_keys],
            "family_letters": [k.family_letters for k in family_keys]}),
        (addresses, len(with_address), {
            "id": range(first[PatientAddress], first[PatientAddress] + len(with_address)),
            "patient_id": [patient_ids[i] for i in with_address],
            **{field: [getattr(cleaned.address[i], field) for i in with_address]
               for field in ("use", "line1", "line2", "city", "state", "postal_code", "country")}}),
        (phones, len(with_phone), {
            "id": range(first[PatientPhone], first[PatientPhone] + len(with_phone)),
            "patient_id": [patient_ids[i] for i in with_phone],
            "use": [cleaned.phone[i][0] for i in with_phone], "number": [cleaned.phone[i][1] for i in with_phone]}),
        (identifiers, len(with_identifier), {
            "id": range(first[PatientIdentifier], first[PatientIdentifier] + len(with_identifier)),
            "patient_id": [patient_ids[i] for i in with_identifier],
            "type": [cleaned.identifier[i].type for i in with_identifier],
            "issuer": [cleaned.identifier[i].issuer for i in with_identifier],
            "value": [cleaned.identifier[i].value for i in with_identifier],
            "value_key": [identifier_value_key(cleaned.identifier[i].value) for i in with_identifier]}),
    ]
    with _large_page_cache(connection), transaction.atomic(using=connection.alias):
        for table, rows, columns in plan:
            _write(connection, table, table.rows(rows, columns))
        _reset_sequences(connection, models)
    return patient_ids


@contextmanager
def _large_page_cache(connection: Any) -> Iterator[None]:
    """SQLite's default page cache (2 MiB) cannot hold the name indexes of a large index: each
    inserted row then reads and writes index pages from disk, and a million charts take most of
    an hour. This connection's cache is raised while loading (durability is unchanged: the
    transaction still commits with synchronous=FULL)."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {before}")
