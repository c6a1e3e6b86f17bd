"""The demo's encounters and documents as a story (a stage of `chartdesk demo-data`, after the patients
and before their restrictions): each visit opened at its admission, each note written on its service
day, signed hours to weeks later, some corrected or with addenda, one entered in error, each stay
discharged at its planned time. The steps of every encounter are replayed in time order at their
story times (core.demo.story), so deficiencies open at discharge and age, and records left unsigned
past the deadline turn delinquent on the night they would have.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.utils import timezone

from chartdesk.charts.actions import (
    do_add_addendum,
    do_correct_document,
    do_create_note,
    do_discharge_encounter,
    do_finish_encounter,
    do_open_encounter,
    do_retract_document,
    do_sign_document,
)
from chartdesk.core.demo.load import DemoRun
from chartdesk.core.demo.plan import DocumentPlan, EncounterPlan
from chartdesk.core.demo.story import Timeline

# Hours from writing a note to signing it: most the same day or the next, some after a reminder, a few
# only after the record went delinquent (30 days after discharge: completion's default rule).
SIGNING_DELAYS = ((0.70, (1, 30)), (0.22, (30, 14 * 24)), (0.08, (14 * 24, 45 * 24)))
CHASED_AFTER = (timedelta(days=35), timedelta(days=75))  # a note the plan left unsigned, signed when chased


@dataclass
class EncounterStory:
    """What one encounter's steps share: the encounter once opened, its documents once written."""

    patient: Any
    plan: EncounterPlan
    encounter: Any = None
    documents: dict[int, Any] = field(default_factory=dict)

OVERLAYS_PLANTED = 2


def load_charts_demo(run: DemoRun) -> None:
    rng = random.Random(run.plan.seed * 7919 + 30)  # its own stream: the plan's draws stay as they were
    timeline = Timeline(timezone.now())
    for person in run.plan.patients:
        patient = run.patients[person.key]
        for stay in person.encounters:
            _plan_encounter_story(timeline, rng, EncounterStory(patient, stay), run)
    timeline.replay(timezone.get_current_timezone())
    _plant_overlays(run)


def _plant_overlays(run: DemoRun) -> None:
    """Two charts whose latest visit's HL7 PID described someone else (another birth date and sex,
    as when a registration system reuses an MRN), so the HIM manager's overlay list is not empty."""
    from datetime import timedelta

    from chartdesk.charts.models import Encounter
    from chartdesk.charts.stated import StatedPerson, do_record_stated_demographics

    planted = 0
    for person in run.plan.patients:
        patient = run.patients[person.key]
        visits = list(Encounter.objects.filter(patient=patient).order_by("admit_at", "pk"))
        if planted == OVERLAYS_PLANTED or len(visits) < 2 or patient.birth_date is None or patient.is_restricted:
            continue
        for visit in visits[:-1]:
            do_record_stated_demographics(visit, StatedPerson.of_chart(patient), source="desk",
                                          reference="registration desk", acting_user=run.staff["registrar"])
        other = StatedPerson(given_name="Jordan", family_name=patient.family_name,
                             birth_date=patient.birth_date - timedelta(days=365 * 23 + 40),
                             sex="M" if patient.sex == "F" else "F")
        do_record_stated_demographics(visits[-1], other, source="hl7", reference="ADT^A08 DEMO1 from MERCY",
                                      acting_user=run.staff["registrar"])
        planted += 1


def _plan_encounter_story(timeline: Timeline, rng: random.Random, story: EncounterStory, run: DemoRun) -> None:
    stay = story.plan
    timeline.add(stay.admit_at, lambda: _open(story, run))
    for index, planned in enumerate(stay.documents):
        written = _written_at(rng, stay, planned, timeline)
        timeline.add(written, partial(_write, story, index, planned, run))
        if planned.sign:
            _plan_signature(timeline, rng, story, index, planned, written, run)
        elif timeline.fits(written + CHASED_AFTER[1]):
            # An old note left unsigned was chased once its record went delinquent, and signed then:
            # left unsigned for ever, each would stay delinquent and inflate every later month's rate.
            chased = written + timedelta(days=rng.uniform(CHASED_AFTER[0].days, CHASED_AFTER[1].days))
            timeline.add(chased, partial(_sign, story, index, run))
    if stay.discharge_at is not None:
        timeline.add(stay.discharge_at, lambda: _discharge(story, run))


def _written_at(rng: random.Random, stay: EncounterPlan, planned: DocumentPlan, timeline: Timeline) -> datetime:
    """When the note was written: during a visit, the service day of a stay, after the discharge for
    the summary; never before the admission nor after the load."""
    zone = stay.admit_at.tzinfo
    if stay.encounter_class in {"outpatient", "emergency"}:
        written = stay.admit_at + timedelta(minutes=rng.randint(10, 35))
    elif planned.kind == "discharge" and stay.discharge_at is not None:
        written = stay.discharge_at + timedelta(hours=rng.randint(1, 30))
    else:
        day = datetime.combine(planned.service_date, datetime.min.time(), tzinfo=zone)
        written = max(day.replace(hour=rng.randint(7, 18), minute=rng.randint(0, 59)),
                      stay.admit_at + timedelta(minutes=rng.randint(30, 180)))
    # A note is dated on its service day (do_create_note refuses a service date in the future).
    earliest = datetime.combine(planned.service_date, datetime.min.time(), tzinfo=zone)
    return min(max(written, earliest, stay.admit_at + timedelta(minutes=1)), timeline.latest)


def _signing_delay(rng: random.Random) -> timedelta:
    draw, total = rng.random(), 0.0
    for share, (low, high) in SIGNING_DELAYS:
        total += share
        if draw <= total:
            return timedelta(hours=rng.uniform(low, high))
    return timedelta(hours=SIGNING_DELAYS[-1][1][1])


def _plan_signature(timeline: Timeline, rng: random.Random, story: EncounterStory, index: int,
                    planned: DocumentPlan, written: datetime, run: DemoRun) -> None:
    changed = planned.correction is not None or planned.addendum is not None or planned.retraction is not None
    signed = written + (timedelta(hours=rng.uniform(1, 20)) if changed else _signing_delay(rng))
    if not timeline.fits(signed):
        if changed:  # the plan counts on this one being signed: sign it before the load
            signed = written + (timeline.latest - written) / 3
        else:
            return  # not signed yet: it waits in the provider's signing queue
    timeline.add(signed, lambda: _sign(story, index, run))
    if changed:
        later = signed + min(timedelta(days=rng.randint(1, 10)), (timeline.latest - signed) / 2)
        timeline.add(later, lambda: _change(story, index, planned, run))


def _open(story: EncounterStory, run: DemoRun) -> None:
    stay = story.plan
    story.encounter = do_open_encounter(
        story.patient,
        encounter_class=stay.encounter_class,
        admit_at=stay.admit_at,
        acting_user=run.staff["registrar"],
        attending=run.providers[stay.attending][0],
        service=stay.service,
        location=stay.location,
        reason=stay.reason,
    )
    run.result.encounters += 1


def _discharge(story: EncounterStory, run: DemoRun) -> None:
    stay, registrar = story.plan, run.staff["registrar"]
    assert stay.discharge_at is not None  # only discharged stays get this step
    if stay.encounter_class == "outpatient":
        story.encounter = do_finish_encounter(story.encounter, acting_user=registrar, finished_at=stay.discharge_at)
    else:
        story.encounter = do_discharge_encounter(story.encounter, discharge_at=stay.discharge_at,
                                                 disposition=stay.disposition, acting_user=registrar)


def _write(story: EncounterStory, index: int, planned: DocumentPlan, run: DemoRun) -> None:
    author, author_user = run.providers[planned.author]
    story.documents[index] = do_create_note(
        story.patient,
        document_type=planned.document_type,
        title=planned.title,
        text=planned.text,
        service_date=planned.service_date,
        acting_user=author_user,
        encounter=story.encounter,
        author=author,
    )
    run.result.documents += 1


def _sign(story: EncounterStory, index: int, run: DemoRun) -> None:
    author_user = run.providers[story.plan.documents[index].author][1]
    story.documents[index] = do_sign_document(story.documents[index], acting_user=author_user)
    run.result.signed += 1


def _change(story: EncounterStory, index: int, planned: DocumentPlan, run: DemoRun) -> None:
    """The correction, addendum or retraction the plan holds for a signed document."""
    author_user, result = run.providers[planned.author][1], run.result
    document = story.documents[index]
    if planned.correction is not None:
        reason, text = planned.correction
        document.refresh_from_db()
        document = do_correct_document(
            document, reason=reason, acting_user=author_user, expected_revision=document.revision, text=text
        )
        result.corrected += 1
    if planned.addendum is not None:
        document.refresh_from_db()
        do_add_addendum(document, text=planned.addendum, acting_user=author_user, sign=True)
        result.addenda += 1
    if planned.retraction is not None:
        document.refresh_from_db()
        do_retract_document(document, reason=planned.retraction, acting_user=run.staff["him_manager"])
        result.retracted += 1
    story.documents[index] = document


