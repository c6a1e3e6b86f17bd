"""Commands tell the user to run other commands in the form that works where they are: after
`make demo` the virtual environment is not activated, so `chartdesk` alone is not on PATH."""

from __future__ import annotations

import sys

import pytest
from django.core.management import CommandError, call_command

from chartdesk.cli import invocation


@pytest.fixture
def venv_script(tmp_path, monkeypatch):
    script = tmp_path / ".venv" / "bin" / "chartdesk"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "demo-logins"])
    return script


def test_the_hint_is_the_venv_path_when_chartdesk_is_not_on_path(venv_script, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert invocation() == ".venv/bin/chartdesk"


def test_the_hint_is_plain_chartdesk_when_the_shell_finds_this_same_program(venv_script, monkeypatch):
    monkeypatch.setenv("PATH", f"{venv_script.parent}:/usr/bin:/bin")
    assert invocation() == "chartdesk"


def test_a_program_outside_the_current_folder_is_named_by_its_full_path(venv_script, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert invocation() == str(venv_script)


@pytest.mark.django_db
def test_demo_logins_without_demo_users_names_the_command_that_works(venv_script, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with pytest.raises(CommandError, match=r"run `\.venv/bin/chartdesk demo-data` first"):
        call_command("demo_logins")
