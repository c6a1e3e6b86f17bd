"""Deficiency analysis: graded against what the chart-completion rules find."""

import pytest

from chartdesk.training.grading import AnswerError, Exercise, grade, shipped_exercises
from chartdesk.training.kinds import deficiency
from tests.support import factories

PROVIDERS = {"dr-lee": {"given_name": "Morgan", "family_name": "Lee", "credentials": "MD"},
             "dr-shah": {"given_name": "Priya", "family_name": "Shah", "credentials": "MD"},
             "np-kim": {"given_name": "Jae", "family_name": "Kim", "credentials": "NP"}}


def chart_a():
    return {"chart": "A", "encounter_class": "inpatient", "admit_at": "2026-02-03T10:00",
            "discharge_at": "2026-02-07T12:00", "care_team": [["dr-lee", "attending"], ["dr-shah", "surgeon"]],
            "documents": [
                {"id": "A1", "type": "34117-2", "service_date": "2026-02-03", "author": "dr-lee", "signed": True},
                {"id": "A2", "type": "11506-3", "service_date": "2026-02-04", "author": "dr-lee", "signed": False},
                {"id": "A3", "type": "11506-3", "service_date": "2026-02-05", "author": "np-kim", "signed": True},
                {"id": "A4", "type": "11506-3", "service_date": "2026-02-06", "author": "np-kim", "signed": True,
                 "cosigned": True},
            ]}


def chart_b():
    # An H&P done in the office 10 days before admission satisfies the rule.
    return {"chart": "B", "encounter_class": "inpatient", "admit_at": "2026-03-10T08:00",
            "discharge_at": "2026-03-12T15:00", "care_team": [["dr-lee", "attending"]],
            "documents": [
                {"id": "B1", "type": "34117-2", "service_date": "2026-02-28", "author": "dr-lee", "signed": True,
                 "linked": False},
                {"id": "B2", "type": "18842-5", "service_date": "2026-03-12", "author": "dr-lee", "signed": True},
            ]}


def exercise():
    setup = {"providers": PROVIDERS, "charts": [chart_a(), chart_b()]}
    return Exercise("deficiency-test", "deficiency", "Test", ("x",), "", setup, deficiency.key_from_setup(setup))


RIGHT = {"deficiencies": [
    {"chart": "A", "kind": "signature", "document": "A2"},
    {"chart": "A", "kind": "cosignature", "document": "A3"},
    {"chart": "A", "kind": "required_document", "document_type": "18842-5"},
    {"chart": "A", "kind": "operative_report", "provider": "dr-shah"},
]}


def test_the_key_is_what_the_completion_rules_find():
    found = {(entry["chart"], entry["kind"], entry["rule"], entry.get("document"), entry["provider"])
             for entry in exercise().key["deficiencies"]}
    assert found == {
        ("A", "signature", "signature", "A2", "dr-lee"),
        ("A", "cosignature", "cosignature-np-pa", "A3", "dr-lee"),
        ("A", "required_document", "inpatient-discharge-summary", None, "dr-lee"),
        ("A", "operative_report", "operative-report", None, "dr-shah"),
    }


def test_the_right_answer_scores_full_marks():
    result = grade(exercise(), RIGHT)
    assert result.score == 1.0 and result.possible == 6.0


def test_a_missed_deficiency_and_a_false_one_each_lose_a_point_with_the_rule_named():
    answer = {"deficiencies": [*RIGHT["deficiencies"][:3], {"chart": "B", "kind": "required_document",
                                                            "document_type": "34117-2"}]}
    result = grade(exercise(), answer)
    assert result.earned == 4.0
    missed = next(item for item in result.items if not item.correct and item.point.startswith("Chart A"))
    assert missed.explanation.startswith("Missed. Rule: Operative report when surgery is recorded")
    assert "42 CFR 482.51(b)(6)" in missed.explanation and "assigned to dr-shah" in missed.explanation
    false = next(item for item in result.items if item.point == "Chart B: nothing flagged that is complete")
    assert false.earned == 0.0
    assert "Flagged but not deficient under the rules: required_document 34117-2." in false.explanation


def test_finding_nothing_earns_only_the_charts_with_nothing_flagged():
    result = grade(exercise(), {"deficiencies": []})
    assert result.earned == 2.0 and result.score == round(2 / 6, 4)


@pytest.mark.parametrize(("answer", "message"), [
    ({}, "the answer has no 'deficiencies'"),
    ({"deficiencies": {}}, "'deficiencies' must be a list"),
    ({"deficiencies": ["A2"]}, "deficiency 1 must be a JSON object"),
    ({"deficiencies": [{"chart": "A", "kind": "missing"}]}, "deficiency 1: kind must be one of"),
    ({"deficiencies": [{"chart": "A", "kind": "signature"}]}, "deficiency 1 has no 'document'"),
    ({"deficiencies": [{"chart": "Z", "kind": "signature", "document": "A2"}]}, "deficiency 1 chart: unknown 'Z'"),
    ({"deficiencies": [{"chart": "B", "kind": "signature", "document": "A2"}]},
     "deficiency 1 document of chart B: unknown 'A2'"),
    ({"deficiencies": [{"chart": "A", "kind": "operative_report", "provider": "dr-who"}]}, "unknown 'dr-who'"),
    ({"deficiencies": [{"chart": "A", "kind": "required_document", "document_type": "H&P"}]}, "unknown 'H&P'"),
])
def test_answers_not_in_the_format_are_refused_naming_the_problem(answer, message):
    with pytest.raises(AnswerError) as refused:
        grade(exercise(), answer)
    assert message in str(refused.value)


def test_at_least_ten_exercises_ship_each_key_what_the_rules_find_and_scoring_full_marks():
    shipped = [drill for drill in shipped_exercises().values() if drill.kind == "deficiency"]
    assert len(shipped) >= 10
    kinds_seen = set()
    for drill in shipped:
        assert drill.competencies
        assert dict(drill.key) == deficiency.key_from_setup(drill.setup), drill.id
        assert grade(drill, drill.key).score == 1.0, drill.id
        kinds_seen |= {entry["kind"] for entry in drill.key["deficiencies"]}
    assert kinds_seen == {"signature", "cosignature", "required_document", "operative_report"}


def _open_deficiencies_as_answer(drill):
    from chartdesk.completion.models import Deficiency, DeficiencyStatus

    labels = {}
    for chart in drill.setup["charts"]:
        for document in chart["documents"]:
            labels[f"({document['id']})"] = document["id"]
    answer = []
    for found in Deficiency.objects.filter(status=DeficiencyStatus.OPEN).select_related(
            "document", "encounter", "provider__user"):
        chart = found.encounter.reason.removeprefix("Training chart ")
        entry = {"chart": chart, "kind": found.kind}
        if found.document is not None:
            entry["document"] = next(label for tag, label in labels.items() if found.document.title.endswith(tag))
        if found.kind == "required_document":
            entry["document_type"] = found.rule.document_type
        if found.kind == "operative_report":
            entry["provider"] = found.provider.user.username.removeprefix("training-")
        answer.append(entry)
    return {"deficiencies": answer}


@pytest.mark.django_db
@pytest.mark.parametrize("exercise_id", [f"deficiency-{number:02d}" for number in range(1, 11)])
def test_the_charts_built_in_the_sandbox_have_exactly_the_deficiencies_of_the_key(exercise_id, client_for):
    from django.urls import reverse

    from chartdesk.charts.models import Document

    drill = shipped_exercises()[exercise_id]
    deficiency.build(drill)
    # The completion app's own analysis of the real records finds what the key says, no more, no less.
    assert grade(drill, _open_deficiencies_as_answer(drill)).score == 1.0
    # The student reviews the charts on the real chart screen, where each document shows its label.
    client = client_for(factories.make_user("him_manager"))
    assert client.get(deficiency.start_url(drill)).status_code == 200
    first = drill.setup["charts"][0]
    document = Document.objects.get(title__endswith=f"({first['documents'][0]['id']})")
    page = client.get(reverse("charts-chart", kwargs={"patient_id": document.patient_id}))
    assert page.status_code == 200 and f"({first['documents'][0]['id']})" in page.content.decode()


@pytest.mark.django_db
def test_building_acts_as_the_sandbox_staff_and_the_answer_is_typed_on_the_training_screen():
    from chartdesk.audit.models import AuditEvent
    from chartdesk.charts.models import Encounter

    drill = shipped_exercises()["deficiency-03"]
    deficiency.build(drill)
    assert Encounter.objects.filter(reason__startswith="Training chart").count() == len(drill.setup["charts"])
    assert AuditEvent.objects.filter(username="training-registrar", object_type="encounter",
                                     action="create").count() == 3
    assert deficiency.DEFICIENCY.answer_from_records is None
