"""The terminal output layer: renderers give the exact text, jobs print nothing, masking holds."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alumni.config import load_config
from alumni.errors import ConfigError
from alumni.findings import Finding
from alumni.jobs import applicants, check, init, lint, purge, report, status, votes
from alumni.jobs.applicants import ApplicantsResult, Checklist
from alumni.jobs.check import CheckResult
from alumni.jobs.init import InitResult
from alumni.jobs.purge import PurgeResult
from alumni.output.sheet import (
    render_applicants,
    render_check,
    render_init,
    render_purge,
    render_votes,
)
from alumni.output.text import Masked, mask_addresses, plural, problems
from alumni.rules.purge import PurgeItem
from alumni.sheet import store as stores
from alumni.sheet.open import open_store
from tests.helpers import NOW, demo_folder

TZ = "Europe/Stockholm"
WHEN = pd.Timestamp(NOW, tz=TZ)
FINDING = Finding("Avgångsklass", 2, 3, "'tjugo' is not a year", "write four digits, e.g. 2026")
NEXT = "Next: `alumni daily` runs the daily job; `alumni check` lists problems in the sheet."


# --- text helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("to anna.ek@example.org now", "to a…@example.org now"),
        ("<b@x.se>, c.d@sub.example.org", "<b…@x.se>, c…@sub.example.org"),
        ("bot@project.iam.gserviceaccount.com", "bot@project.iam.gserviceaccount.com"),
        ("no address @ all", "no address @ all"),
    ],
)
def test_mask_addresses_keeps_first_letter_and_domain(text: str, shown: str) -> None:
    assert mask_addresses(text) == shown


# The rule as one regular expression (quadratic on a long word, so not how it is run).
ADDRESS_RULE = re.compile(
    r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)


def masked_by_the_rule(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        if match.group(2).endswith(".gserviceaccount.com"):
            return match.group(0)
        return f"{match.group(1)}…@{match.group(2)}"

    return ADDRESS_RULE.sub(mask, text)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "Z",
                "9",
                ".",
                "-",
                "_",
                "%",
                "+",
                "@",
                " ",
                "<",
                "é",
                ",",
                "b.se",
                "x.y.z",
                "@ex.org",
                ".gserviceaccount.com",
                "anna.ek@example.org",
            ]
        )
    ).map("".join)
)
def test_masking_follows_its_rule_for_any_text(text: str) -> None:
    assert mask_addresses(text) == masked_by_the_rule(text)


def test_an_address_right_after_a_masked_one_is_masked_too() -> None:
    assert mask_addresses("x@a.bc.d_e@f.gh") == "x…@a.bc.d_…@f.gh"
    assert masked_by_the_rule("x@a.bc.d_e@f.gh") == "x…@a.bc.d_…@f.gh"


def test_the_masked_stream_masks_what_passes_through_it() -> None:
    target = io.StringIO()
    stream = Masked(target)
    assert stream.write("mail anna@example.org\n") == len("mail anna@example.org\n")
    assert target.getvalue() == "mail a…@example.org\n"


def test_plural() -> None:
    assert [plural(n, "problem") for n in (0, 1, 2)] == ["0 problems", "1 problem", "2 problems"]


def test_problems_beyond_the_limit_point_to_alumni_check() -> None:
    findings = [FINDING] * 12
    lines = problems(findings, 10).splitlines()
    assert lines[:10] == [f"  {FINDING}"] * 10
    assert lines[10:] == ["  … and 2 more: run `alumni check` to see them all."]
    assert problems(findings[:3], 10) == "\n".join([f"  {FINDING}"] * 3)
    assert problems([], 10) == ""


# --- renderers: branches the demo sheet does not reach ---------------------------------------------


def test_render_check_counts_one_problem_in_the_singular() -> None:
    assert render_check(CheckResult("x.xlsx", [FINDING])) == (f"{FINDING}\n1 problem in x.xlsx.")
    assert render_check(CheckResult("x.xlsx", [])) == "No problems in x.xlsx."


def test_render_init_on_a_sheet_that_lacked_tabs_and_headers() -> None:
    added = stores.InitResult(
        created=False,
        tabs_added=["Röster", "Översikt"],
        headers_added=["Alumner!Språk"],
        formatting_added=["colour: Kontaktlogg!Status = Besvarad sent", "frozen header: Röster"],
    )
    assert render_init(InitResult("Sheet 'x'", added)) == (
        "Updated Sheet 'x'; no existing cell was changed.\n"
        "  Tabs added: Röster, Översikt\n"
        "  Headers added: Alumner!Språk\n"
        "  Colours set: Kontaktlogg!Status = Besvarad sent\n"
        "  Header row frozen: Röster\n" + NEXT
    )


def test_render_purge_names_rows_it_could_not_remove() -> None:
    item = PurgeItem("Avgångsklass", "AK-0001", "Ebba Lundström", "graduated 2026")
    result = PurgeResult([item], applied=True, removed=0, skipped=[FINDING])
    assert render_purge(result) == (
        "Removing 1 rows of personal data no longer needed:\n"
        "  Avgångsklass AK-0001 (Ebba Lundström): graduated 2026\n"
        "Removed 0 rows.\n"
        f"  Not removed: {FINDING}"
    )


def test_render_applicants_names_writes_it_had_to_skip() -> None:
    checklist = Checklist(review=[("AN-0001", "Ada", "Namn saknas")])
    text = render_applicants(ApplicantsResult("x.xlsx", WHEN, checklist, [FINDING]))
    assert text == (
        "Applications 2026-11-28 14:05 on x.xlsx\n"
        "  Assessed: none; decided by the chair: 0\n"
        "  Approve now in LinkedIn (0):\n"
        "  Look at by hand (1):\n"
        "    Ada (AN-0001): Namn saknas\n"
        f"  Not written: {FINDING}"
    )


def test_render_votes_with_nothing_new_is_empty() -> None:
    assert render_votes(votes.VotesReport()) == ""


# --- jobs: one run() each, a result, and not a word printed ----------------------------------------


@pytest.fixture
def demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    demo_folder(tmp_path, monkeypatch)
    capsys.readouterr()
    return tmp_path


def test_every_sheet_job_returns_a_result_and_prints_nothing(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(None)
    store = open_store(config)
    results = [
        check.run(config, store, WHEN),
        init.run(config, store, WHEN),
        status.run(config, store, WHEN),
        applicants.run(config, store, WHEN),
        votes.run(config, store, WHEN),
        purge.run(config, store, WHEN),
        report.run(config, store, WHEN, out=demo / "r.html"),
        lint.run(config, store, WHEN),
    ]
    assert capsys.readouterr() == ("", "")
    assert [r.found_problems for r in results] == [False] * len(results)


def test_found_problems_follows_what_the_job_found(demo: Path) -> None:
    config = load_config(None)
    (demo / "bad.sv.j2").write_text("Tjena!!\n", encoding="utf-8")
    assert lint.run(config, open_store(config), WHEN, templates=["bad.sv.j2"]).found_problems
    assert CheckResult("x", [FINDING]).found_problems


def test_purge_without_apply_changes_nothing(demo: Path) -> None:
    config = load_config(None)
    before = (demo / "alumni.xlsx").read_bytes()
    later = pd.Timestamp("2027-06-01 10:00", tz=TZ)
    result = purge.run(config, open_store(config), later)
    assert [i.key for i in result.items] == ["AK-0001", "AK-0002", "AK-0003"]
    assert (result.applied, result.removed) == (False, 0)
    assert (demo / "alumni.xlsx").read_bytes() == before


def test_the_report_job_raises_config_error_when_it_cannot_write(demo: Path) -> None:
    config = load_config(None)
    with pytest.raises(ConfigError, match="choose another --out"):
        report.run(config, open_store(config), WHEN, out=demo / "missing" / "r.html")


def test_the_lint_job_raises_config_error_for_a_missing_template(demo: Path) -> None:
    config = load_config(None)
    with pytest.raises(ConfigError, match=r"nosuch\.j2: no such template file"):
        lint.run(config, open_store(config), WHEN, templates=["nosuch.j2"])


def test_the_status_job_does_not_reach_into_the_daily_job() -> None:
    code = "import sys, alumni.jobs.status; print('alumni.jobs.daily' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
