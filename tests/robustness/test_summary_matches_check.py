"""On every broken sheet of the corpus, the chair's daily summary names the same problems as
`alumni check`: the same count, and its first lines are check's first lines, word for word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alumni.config import Config
from alumni.jobs import check, daily
from alumni.jobs.overdue import SUMMARY_PROBLEMS
from alumni.mail.render import Templates
from alumni.sheet.xlsx import XlsxStore
from alumni.timeparse import parse_time
from tests.robustness.test_bad_input_corpus import CASES, NOW, Case, demo_file  # noqa: F401

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _summary(result: daily.DailyResult) -> Any:
    assert result.deadlines is not None
    return next((n for n in result.deadlines.notices if n.kind == "summary"), None)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_the_summary_lists_what_check_lists(case: Case, demo_file: Path, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "alumni.xlsx"
    book = load_workbook(demo_file)
    case.edit(book)
    book.save(path)
    config = Config()
    now = parse_time(NOW, config.timezone)
    assert now is not None
    listed = [str(f) for f in check.run(config, XlsxStore(path), now).findings]

    result = daily.run(config, XlsxStore(path), now)
    notice = _summary(result)
    if notice is None:
        # No chair to write to (the case broke Utskott): the run says so instead.
        assert result.deadlines is not None
        assert any("daily summary cannot be sent" in str(p) for p in result.deadlines.problems)
        assert result.found_problems
        return
    assert notice.context["problem_count"] == len(listed)
    assert notice.context["problems"] == listed[:SUMMARY_PROBLEMS]
    text = Templates(TEMPLATES).render("daily_summary", "sv", notice.context).text
    assert f"Problem i arket: {len(listed)}." in text
    for line in listed[:SUMMARY_PROBLEMS]:
        assert f"- {line}" in text
    assert ("Allt i arket gick att läsa" in text) == (not listed)
