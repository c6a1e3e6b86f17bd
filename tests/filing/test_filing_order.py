"""Filing order for each system, with the trade's own examples, and the `chartdesk filing sort` command."""

from __future__ import annotations

import io
import sys
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from chartdesk.filing.order import (
    BadRecordNumber,
    FilingSystem,
    alphabetic_key,
    filing_label,
    filing_number_of_mrn,
    sections,
    sort_record_numbers,
    terminal_digit_key,
)
from chartdesk.patients.mrn import mrn_for_serial


def test_terminal_digit_files_12_34_56_under_56_then_34_then_12():
    assert sections("12-34-56") == ("12", "34", "56", "")
    numbers = ["12-34-56", "99-34-12", "01-35-56", "00-34-56", "12-33-57"]
    assert sort_record_numbers(numbers, FilingSystem.TERMINAL_DIGIT) == [
        "99-34-12",  # section 12 comes before section 56
        "00-34-56", "12-34-56",  # same 56 and 34: by the tertiary pair
        "01-35-56",  # same 56, secondary 35 after 34
        "12-33-57",
    ]


def test_middle_digit_files_by_the_middle_pair_then_the_first_then_the_last():
    numbers = ["12-34-56", "99-34-12", "01-35-56", "12-34-01", "55-10-99"]
    assert sort_record_numbers(numbers, FilingSystem.MIDDLE_DIGIT) == [
        "55-10-99", "12-34-01", "12-34-56", "99-34-12", "01-35-56",
    ]


def test_straight_numeric_files_by_the_whole_number():
    numbers = ["123456", "99", "1000000", "000100", "12-34-55"]
    assert sort_record_numbers(numbers, FilingSystem.STRAIGHT_NUMERIC) == [
        "99", "000100", "12-34-55", "123456", "1000000",
    ]


def test_short_numbers_are_padded_and_long_ones_carry_a_fourth_unit():
    assert sections("4567") == ("00", "45", "67", "")
    assert sections("1234567") == ("23", "45", "67", "1")
    assert terminal_digit_key("234567") < terminal_digit_key("1234567") < terminal_digit_key("2234567")


def test_an_mrn_files_by_its_serial_without_the_check_digit():
    mrn = mrn_for_serial(123456)  # 0123456 + check digit
    assert filing_number_of_mrn(mrn) == "0123456"
    assert filing_label(FilingSystem.TERMINAL_DIGIT, mrn) == "0-12-34-56"
    with pytest.raises(BadRecordNumber, match="check digit"):
        filing_number_of_mrn(mrn[:-1] + str((int(mrn[-1]) + 1) % 10))


def test_consecutive_mrns_spread_over_consecutive_terminal_sections():
    mrns = [mrn_for_serial(serial) for serial in (1000001, 1000002, 1000101)]
    ordered = sort_record_numbers(mrns, FilingSystem.TERMINAL_DIGIT, mrns=True)
    assert [filing_label(FilingSystem.TERMINAL_DIGIT, mrn) for mrn in ordered] == [
        "1-00-00-01", "1-00-01-01", "1-00-00-02",  # section 01 (by secondary 00, 01), then section 02
    ]


def test_alphabetic_order_ignores_accents_case_and_punctuation():
    keys = sorted([
        alphabetic_key("O'Brien", "Sean", "", date(1970, 1, 1), "1"),
        alphabetic_key("Obrien", "Adam", "", date(1980, 1, 1), "2"),
        alphabetic_key("Álvarez", "Zoe", "", date(1990, 1, 1), "3"),
    ])
    assert [key[-1] for key in keys] == ["3", "2", "1"]


@given(st.lists(st.integers(min_value=0, max_value=9_999_999), min_size=1, max_size=40),
       st.sampled_from([FilingSystem.TERMINAL_DIGIT, FilingSystem.MIDDLE_DIGIT, FilingSystem.STRAIGHT_NUMERIC]))
def test_sorting_keeps_every_number_and_orders_by_the_systems_sections(values, system):
    numbers = [f"{value:06d}" for value in values]
    ordered = sort_record_numbers(numbers, system)
    assert sorted(ordered) == sorted(numbers)
    if system == FilingSystem.TERMINAL_DIGIT:
        primaries = [number[-2:] for number in ordered]
        assert primaries == sorted(primaries)
    if system == FilingSystem.MIDDLE_DIGIT:
        middles = [number[-4:-2] for number in ordered]
        assert middles == sorted(middles)


@given(st.text(max_size=12))
def test_anything_that_is_not_digits_is_refused_never_crashes(text):
    cleaned = text.strip().replace("-", "").replace(" ", "")
    if cleaned.isascii() and cleaned.isdigit():
        return
    with pytest.raises(BadRecordNumber):
        sort_record_numbers([text], FilingSystem.TERMINAL_DIGIT)


def run_sort(monkeypatch, stdin_text: str, *args: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin_text))
    out = io.StringIO()
    call_command("filing", "sort", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_stdin_in_terminal_digit_order(monkeypatch):
    output = run_sort(monkeypatch, "12-34-56\n\n99-34-12\n01-35-56\n", "--system", "terminal-digit")
    assert output.splitlines() == ["99-34-12", "12-34-56", "01-35-56"]


def test_the_command_reads_a_file_after_stdin(monkeypatch, tmp_path):
    listed = tmp_path / "numbers.txt"
    listed.write_text("000001\n000100\n")
    output = run_sort(monkeypatch, "000050\n", "--system", "straight-numeric", str(listed))
    assert output.splitlines() == ["000001", "000050", "000100"]


def test_the_command_names_the_bad_line_and_prints_nothing(monkeypatch):
    with pytest.raises(CommandError, match="standard input, line 2: 'A-12' is not a record number"):
        run_sort(monkeypatch, "12-34-56\nA-12\n", "--system", "middle-digit")


def test_the_command_checks_mrn_check_digits_when_asked(monkeypatch):
    good = mrn_for_serial(1000001)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert run_sort(monkeypatch, f"{good}\n", "--system", "terminal-digit", "--mrn").split() == [good]
    with pytest.raises(CommandError, match="line 2"):
        run_sort(monkeypatch, f"{good}\n{bad}\n", "--system", "terminal-digit", "--mrn")
