"""Nothing the tool writes becomes code: formulas, headers and markup stay plain text."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from alumni.mail.message import build_message
from alumni.sheet.changes import ChangeSet
from tests.harness import GoogleHarness, Harness, XlsxHarness

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","klicka")',
    "+46 70 123 45 67",
    "-2+3",
    "@SUM(A1)",
]
HEADER = ["ID", "Namn", "E-post", "Examensår", "Språk", "Inbjuden", "Inbjudningsstatus"]


@pytest.fixture(params=["local", "google"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    return XlsxHarness(tmp_path) if request.param == "local" else GoogleHarness()


@pytest.mark.parametrize("value", DANGEROUS)
def test_values_starting_with_formula_characters_are_stored_as_text(
    harness: Harness, value: str
) -> None:
    harness.seed({"Avgångsklass": [HEADER, ["AK-1", "Anna", "a@example.org", 2026]]})
    harness.store.read()
    changes = ChangeSet()
    changes.set("Avgångsklass", "AK-1", "Inbjudningsstatus", value)
    harness.store.apply(changes)
    if isinstance(harness, GoogleHarness):
        cell = harness.fake.cell(harness.key, "Avgångsklass", "G2")
        assert cell is not None and cell.kind == "string" and cell.value == value
    else:
        assert isinstance(harness, XlsxHarness)
        cell = load_workbook(harness.path)["Avgångsklass"]["G2"]
        assert (cell.data_type, cell.value) == ("s", value)


@pytest.mark.parametrize(
    "name",
    [
        "Anna\r\nBcc: evil@example.org",
        "Anna\nSubject: hej",
        "Anna\rX-Evil: 1",
        "Anna\u2028Cc: x@example.org",
    ],
)
def test_line_breaks_in_names_never_reach_a_header(name: str) -> None:
    message = build_message(
        sender_name="Alumniutskottet, I-sektionen",
        sender_address="alumni@example.org",
        to_name=name,
        to_address="anna@example.org",
        subject=f"Inbjudan {name}",
        text="Hej Anna,\n",
        html="<p>Hej</p>",
        now=pd.Timestamp("2026-11-28 14:05", tz="Europe/Stockholm"),
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert sorted(parsed.keys()) == sorted(
        ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]
    )
    assert [a.addr_spec for a in parsed["To"].addresses] == ["anna@example.org"]
