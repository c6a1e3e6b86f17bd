"""The hot reads of the audit trail and of the accounting of disclosures go through indexes on PostgreSQL,
and a read bounded by time touches only the monthly partitions of that time (issue 19, §2).

Each test fills the tables with enough rows, spread over months, patients and records, and ANALYZEs
them, so that the planner has a real choice between scanning and an index; the plan is read with
EXPLAIN (FORMAT JSON) of the very query the desk or the API runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet

from chartdesk.audit import reports
from chartdesk.audit.partitions import TABLE, ensure_partitions, partition_name
from chartdesk.disclosures.accounting import LOOKBACK_YEARS, accounting_entries
from chartdesk.disclosures.models import Disclosure
from chartdesk.interop.fhir.audit_resources import change_event_rows
from chartdesk.interop.fhir.chart_resources import encounter_change_counts, encounter_versions
from tests.support.databases import postgres_only
from tests.support.factories import make_patient

pytestmark = [pytest.mark.django_db, postgres_only]

FIRST_MONTH = date(2026, 3, 1)
MONTHS = 6
EVENTS = 60_000
PATIENTS = 3_000
# A Bitmap Heap Scan reads the rows its Bitmap Index Scans (which name no table) found in an index.
INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def month(offset: int) -> date:
    index = FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def busy_trail() -> None:
    """60,000 events over six months (about 14 an hour, 20 per patient, 3 per record), analysed."""
    ensure_partitions(MONTHS, today=FIRST_MONTH)
    span = (datetime(month(MONTHS).year, month(MONTHS).month, 1, tzinfo=UTC)
            - datetime(FIRST_MONTH.year, FIRST_MONTH.month, 1, tzinfo=UTC))
    with connection.cursor() as cursor:
        # Not a sealed chain (the plans do not care): sequence numbers far above the real ones.
        cursor.execute(
            f"INSERT INTO {TABLE} (sequence, occurred_at, username, role, patient_id, patient_mrn, object_type, "
            "object_id, action, outcome, client_address, channel, break_the_glass_reason, detail, previous_hash, "
            "entry_hash) "
            "SELECT 1000000000 + n, %s + (n::bigint * %s / %s) * interval '1 second', 'user' || n %% 90, 'coder', "
            "n %% %s, 'M' || lpad((n %% %s)::text, 7, '0'), "
            "(ARRAY['encounter', 'document', 'patient_name', 'condition'])[1 + n %% 4], (n %% 20000)::text, "
            "(ARRAY['view', 'view', 'update', 'create'])[1 + (n / 4) %% 4], 'success', '10.0.0.7', 'desk', '', '{}', "
            "repeat('0', 64), repeat('1', 64) FROM generate_series(1, %s) AS n",
            [datetime(FIRST_MONTH.year, FIRST_MONTH.month, 1, tzinfo=UTC), int(span.total_seconds()), EVENTS,
             PATIENTS, PATIENTS, EVENTS])
        cursor.execute(f"ANALYZE {TABLE}")


def plan_nodes(queryset: QuerySet[Any]) -> list[dict[str, Any]]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", []):
            yield from walk(child)

    return list(walk(plan[0]["Plan"]))


def scanned(nodes: list[dict[str, Any]], prefix: str) -> dict[str, set[str]]:
    """How each table whose name starts with `prefix` is read: {table: {node types}}."""
    found: dict[str, set[str]] = {}
    for node in nodes:
        relation = node.get("Relation Name", "")
        if relation.startswith(prefix):
            found.setdefault(relation, set()).add(node["Node Type"])
    return found


def assert_indexed_only(reads: dict[str, set[str]]) -> None:
    assert reads, "the plan reads no table at all"
    for table, kinds in reads.items():
        assert kinds <= INDEX_NODES, f"{table} is read by {sorted(kinds)}, not only through indexes"


def report_query(start: date, end: date) -> reports.ReportQuery:
    query = reports.ReportQuery()
    query.start = datetime(start.year, start.month, start.day, tzinfo=UTC)
    query.end = datetime(end.year, end.month, end.day, tzinfo=UTC)
    return query


def test_the_patient_audit_report_for_one_month_reads_only_that_months_partition_through_indexes(busy_trail):
    key = reports.PatientKey(pk=1234, mrn="M0001234")
    events = reports.as_of_now(reports.events_for_patient(key, report_query(month(2), month(3))))

    for queryset in (events[:reports.PAGE_SIZE], events.order_by()):  # the page the desk shows, and its count
        reads = scanned(plan_nodes(queryset), TABLE)
        assert set(reads) == {partition_name(month(2))}, f"partitions not pruned: {sorted(reads)}"
        assert_indexed_only(reads)


def test_the_patient_audit_report_over_every_time_reads_each_month_through_indexes(busy_trail):
    key = reports.PatientKey(pk=1234, mrn="M0001234")
    events = reports.as_of_now(reports.events_for_patient(key, reports.ReportQuery()))

    reads = scanned(plan_nodes(events[:reports.PAGE_SIZE]), TABLE)
    filled = {partition_name(month(offset)) for offset in range(MONTHS)}
    assert filled <= set(reads)
    assert_indexed_only({table: kinds for table, kinds in reads.items() if table in filled})


def test_a_report_from_a_day_on_leaves_out_the_months_before_it(busy_trail):
    key = reports.PatientKey(pk=1234, mrn="M0001234")
    query = report_query(month(4) + timedelta(days=9), month(MONTHS) + timedelta(days=400))
    reads = scanned(plan_nodes(reports.events_for_patient(key, query)[:reports.PAGE_SIZE]), TABLE)

    assert partition_name(month(3)) not in reads and partition_name(month(4)) in reads
    # The months after the data are empty and never analysed: scanning an empty table is the cheap way.
    assert_indexed_only({table: kinds for table, kinds in reads.items() if table in {partition_name(month(4)),
                                                                                     partition_name(month(5))}})


def test_fhir_versions_and_history_of_one_record_read_the_trail_through_indexes(busy_trail):
    filled = {partition_name(month(offset)) for offset in range(MONTHS)}
    queries = {
        "an encounter": change_event_rows(("encounter",), 4242),
        "a patient and its names": change_event_rows(("patient", "patient_name"), 77, patient_id=77),
        "a page of encounters": encounter_change_counts([11, 12, 13]),
    }
    for name, queryset in queries.items():
        reads = scanned(plan_nodes(queryset), TABLE)
        assert filled <= set(reads), name
        assert_indexed_only({table: kinds for table, kinds in reads.items() if table in filled})
    # The query planned is the one that answers: encounter 12 was created three times over (n = 12, 20012,
    # 40012 are encounters with action 'create'), encounter 16 only viewed, so it stays at version 1.
    assert encounter_versions([12, 16]) == {12: "3", 16: "1"}


def test_the_accounting_of_disclosures_reads_one_patients_disclosures_through_the_index():
    wanted, other = make_patient(given_name="Ada"), make_patient(given_name="Bea")
    now = datetime.now(UTC)
    Disclosure.objects.bulk_create(
        [Disclosure(patient=wanted if number < 40 else other, disclosed_at=now - timedelta(hours=number),
                    recipient_name="County health department", description="immunization record",
                    purpose="public health", legal_basis="public_health", accountable=True)
         for number in range(20_000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE disclosures_disclosure")
    as_of = now.date()
    since = datetime.combine(as_of.replace(year=as_of.year - LOOKBACK_YEARS), datetime.min.time(), UTC)
    queryset = Disclosure.objects.filter(patient=wanted, accountable=True, disclosed_at__gte=since,
                                         disclosed_at__lt=now + timedelta(days=1)).order_by("disclosed_at", "id")

    assert len(accounting_entries(wanted, as_of)) == 40
    assert_indexed_only(scanned(plan_nodes(queryset), "disclosures_disclosure"))
