"""A missing column is not an empty column: for every column every rule reads, a sheet without
that header makes the rule judge nothing on that tab, say so by name, and exit 1 — and nothing
people typed changes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from alumni.contract import TABS_BY_NAME
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW, demo_folder, people_cells

# Each rule module declares RULE (its name in messages) and NEEDS (tab -> columns it reads);
# the command is one that runs the rule.
RULES = {
    "deadlines": "overdue",
}


def needs() -> list[tuple[str, str, str, str]]:
    cases = []
    for module, command in RULES.items():
        rule = importlib.import_module(f"alumni.rules.{module}")
        for tab, columns in rule.NEEDS.items():
            cases.extend((module, command, tab, column) for column in columns)
    return cases


def test_every_needed_column_is_a_contract_column() -> None:
    for _, _, tab, column in needs():
        assert TABS_BY_NAME[tab].column(column).name == column


@pytest.mark.parametrize(("module", "command", "tab", "column"), needs())
def test_without_the_header_the_rule_judges_nothing_and_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    module: str,
    command: str,
    tab: str,
    column: str,
) -> None:
    demo_folder(tmp_path, monkeypatch, smtp_server)
    path = tmp_path / "alumni.xlsx"
    book = load_workbook(path)
    ws = book[tab]
    cell = next(c for c in ws[1] if c.value == column)
    cell.value = "x"  # as if someone had retyped the header
    book.save(path)
    rule = importlib.import_module(f"alumni.rules.{module}").RULE
    before = people_cells(path)
    capsys.readouterr()

    code = run(["--now", NOW, "--for-real", command, "--send"])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"{rule} judged nothing on this tab: the header '{column}' is missing" in out
    after = people_cells(path)
    assert {k for k in before if before[k] != after.get(k)} <= {
        k
        for k in before
        if before[k] is None  # only empty ID cells may be filled
    }
