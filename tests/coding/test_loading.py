"""Loading code sets: real content, versioned by effective date, all or nothing, idempotent."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.actions import do_load_code_set
from chartdesk.coding.codesets.errors import MalformedCodeFile, ManyMalformedLines
from chartdesk.coding.models import Code, CodeNote, CodeSetRelease, NoteKind

pytestmark = pytest.mark.django_db


def icd(code: str) -> Code:
    release = CodeSetRelease.objects.current("icd10cm")
    return Code.objects.get(release=release, code=code.replace(".", ""))


def test_the_april_2026_tabular_list_is_in_effect_from_the_first_of_april() -> None:
    release = CodeSetRelease.objects.current("icd10cm")
    assert release is not None
    assert (release.label, release.effective_from, release.effective_to) == (
        "FY2026 April update", datetime.date(2026, 4, 1), None)
    assert CodeSetRelease.objects.in_effect("icd10cm", datetime.date(2026, 3, 31)) is None
    assert CodeSetRelease.objects.in_effect("icd10cm", datetime.date(2026, 9, 30)) == release


def test_e11_9_is_billable_and_e11_is_a_header() -> None:
    assert icd("E11.9").billable is True
    assert icd("E11.9").title == "Type 2 diabetes mellitus without complications"
    assert (icd("E11").billable, icd("E11").level) == (False, "category")


def test_s72_001_needs_a_seventh_character_and_its_seventh_character_codes_are_generated() -> None:
    assert (icd("S72.001").billable, icd("S72.001").requires_seventh) == (False, True)
    generated = icd("S72.001A")
    assert generated.billable is True
    assert generated.title == ("Fracture of unspecified part of neck of right femur, "
                               "initial encounter for closed fracture")
    assert generated.parent == "S72001"


def test_short_codes_take_placeholder_x_before_the_seventh_character() -> None:
    assert icd("S01.01XA").billable is True
    assert not Code.objects.filter(code="S0101A").exists()


def test_the_s06_note_keeps_d_and_s_off_death_before_regaining_consciousness() -> None:
    assert icd("S06.1X7A").billable
    assert not Code.objects.filter(code="S061X7D").exists()
    assert not Code.objects.filter(code="S061X7S").exists()
    assert icd("S06.1X6D").billable


def test_every_kind_of_note_is_kept_with_the_codes_it_names() -> None:
    excludes1 = CodeNote.objects.get(code=icd("E11"), kind=NoteKind.EXCLUDES1, text__startswith="type 1 diabetes")
    assert excludes1.referenced == ["E10"]
    kinds = set(CodeNote.objects.filter(code__release=icd("E11").release).values_list("kind", flat=True))
    assert {"includes", "inclusion_term", "excludes1", "excludes2", "code_first", "use_additional_code",
            "code_also", "seventh_character_note"} <= kinds
    code_first = CodeNote.objects.filter(code=icd("G63"), kind=NoteKind.CODE_FIRST).values_list("referenced", flat=True)
    assert ["E85"] in list(code_first)


def test_manifestation_codes_and_sex_and_age_limits_carry_their_source() -> None:
    assert icd("G63").manifestation is True
    assert icd("F02.80").manifestation is True
    assert icd("E11.9").manifestation is False
    maternity = icd("O80")
    assert (maternity.sex, maternity.age_min, maternity.age_max) == ("F", 12, 55)
    assert "Medicare Code Editor" in maternity.limit_source
    assert (icd("P07.00").age_min, icd("P07.00").age_max) == (0, 0)
    assert icd("N40.0").sex == "M"
    assert icd("Z79.4").poa_exempt is True
    assert icd("E11.9").poa_exempt is False


def test_pcs_codes_carry_their_seven_axes() -> None:
    release = CodeSetRelease.objects.current("icd10pcs")
    appendectomy = Code.objects.get(release=release, code="0DTJ4ZZ")
    assert appendectomy.axes == ["Medical and Surgical", "Gastrointestinal System", "Resection", "Appendix",
                                 "Percutaneous Endoscopic", "No Device", "No Qualifier"]
    assert appendectomy.parent == "0DT"
    resection = release.pcs_axis_values.get(position=3, context="0", value="T")
    assert resection.label == "Resection"
    assert resection.definition.startswith("Cutting out or off, without replacement")


def test_loading_the_same_file_twice_changes_nothing(hcpcs_sample: Path) -> None:
    first = do_load_code_set("hcpcs", hcpcs_sample, acting_user=None)
    events = AuditEvent.objects.count()
    again = do_load_code_set("hcpcs", hcpcs_sample, acting_user=None)
    assert (first.changed, again.changed) == (True, False)
    assert again.release.pk == first.release.pk
    assert AuditEvent.objects.count() == events


def test_hcpcs_codes_and_modifiers_load_from_the_cms_layout(hcpcs_sample: Path) -> None:
    release = do_load_code_set("hcpcs", hcpcs_sample, acting_user=None).release
    assert (release.effective_from, release.label) == (datetime.date(2019, 1, 1), "2019 annual")
    dexamethasone = release.codes.get(code="J1100")
    assert (dexamethasone.title, dexamethasone.billable) == ("Injection, dexamethasone sodium phosphate, 1 mg", True)
    supervision = release.codes.get(code="AD")
    assert supervision.level == "modifier"
    assert supervision.title == ("Medical supervision by a physician: more than four concurrent anesthesia "
                                 "procedures")
    event = AuditEvent.objects.filter(object_type="code_set_release", object_id=str(release.pk)).get()
    assert event.detail["billable_codes"] == release.code_count == 8


def test_a_malformed_hcpcs_file_is_refused_with_its_line_numbers_and_nothing_changes(
    hcpcs_sample: Path, tmp_path: Path
) -> None:
    lines = hcpcs_sample.read_text(encoding="cp1252").splitlines()
    lines[13] = "XYZ" + lines[13][3:]
    lines.append("this is not a record")
    broken = tmp_path / "HCPC2019_broken.txt"
    broken.write_text("\n".join(lines), encoding="cp1252")
    with pytest.raises(ManyMalformedLines) as refusal:
        do_load_code_set("hcpcs", broken, acting_user=None)
    assert [line for line, _ in refusal.value.problems] == [14, 22]
    assert "line 14: 'XYZ21' in columns 1-5 is not a HCPCS Level II code" in refusal.value.message
    assert not CodeSetRelease.objects.filter(system="hcpcs").exists()


def test_a_tabular_xml_that_breaks_off_is_refused_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "icd10cm-tabular-October-1-2025.xml"
    broken.write_text("<ICD10CM.tabular>\n<version>2026</version>\n<chapter>\n<name>1</name>\n</ICD10CM.tabular>\n")
    with pytest.raises(MalformedCodeFile) as refusal:
        do_load_code_set("icd10cm", broken, acting_user=None)
    assert refusal.value.line == 5
    assert "not well-formed XML" in refusal.value.message
    assert CodeSetRelease.objects.filter(system="icd10cm").count() == 1


def test_a_tabular_xml_with_a_malformed_code_is_refused_naming_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "icd10cm-tabular-October-1-2025.xml"
    broken.write_text(
        "<ICD10CM.tabular><version>2026</version>\n<chapter><name>4</name><desc>Endocrine</desc>\n"
        '<section id="E08-E13"><desc>Diabetes</desc>\n<diag><name>E11</name><desc>Type 2</desc>\n'
        "<diag><name>E11..9</name><desc>broken</desc></diag></diag></section></chapter></ICD10CM.tabular>\n"
    )
    with pytest.raises(MalformedCodeFile, match=r"line 5: 'E11\.\.9' is not an ICD-10-CM code"):
        do_load_code_set("icd10cm", broken, acting_user=None)
    assert CodeSetRelease.objects.filter(system="icd10cm").count() == 1


def test_an_earlier_edition_ends_where_the_next_begins(tmp_path: Path, users: dict[str, Any]) -> None:
    earlier = tmp_path / "icd10cm-tabular-October-1-2024.xml"
    earlier.write_text(
        "<ICD10CM.tabular><version>2025</version><chapter><name>4</name><desc>Endocrine</desc>"
        '<section id="E08-E13"><desc>Diabetes mellitus (E08-E13)</desc><diag><name>E11</name>'
        "<desc>Type 2 diabetes mellitus</desc><diag><name>E11.9</name><desc>Type 2 diabetes mellitus without "
        "complications</desc></diag></diag></section></chapter></ICD10CM.tabular>"
    )
    outcome = do_load_code_set("icd10cm", earlier, acting_user=users["him_manager"])
    assert (outcome.release.label, outcome.release.effective_from) == ("FY2025", datetime.date(2024, 10, 1))
    assert outcome.release.effective_to == datetime.date(2026, 4, 1)
    assert outcome.release.loaded_by == users["him_manager"]
    assert CodeSetRelease.objects.in_effect("icd10cm", datetime.date(2025, 6, 1)) == outcome.release


def test_a_file_that_is_not_pcs_data_is_refused(tmp_path: Path) -> None:
    impostor = tmp_path / "icd10pcs.db"
    impostor.write_text("code,title\n0DTJ4ZZ,Resection of Appendix\n")
    with pytest.raises(MalformedCodeFile, match="icd10pcs.db, line 1: not an ICD-10-PCS database"):
        do_load_code_set("icd10pcs", impostor, acting_user=None)
    assert CodeSetRelease.objects.filter(system="icd10pcs").count() == 1
