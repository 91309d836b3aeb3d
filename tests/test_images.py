"""Pictures in the workbook (a logo) survive every save; without Pillow the tool refuses to save
rather than drop them, as openpyxl would without a word."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.drawing.image import Image
from PIL import Image as PILImage

from alumni.contract import GRADUATES
from alumni.errors import StoreError
from alumni.sheet import fidelity
from alumni.sheet.changes import ChangeSet
from alumni.sheet.fidelity import PICTURES_NEED_PILLOW, Loss, losses
from alumni.sheet.xlsx import XlsxStore
from tests.helpers import NOW, alumni

ROOT = Path(__file__).resolve().parent.parent

Picture = tuple[str, str, bytes]
"""A picture as a person sees it: its tab, its anchor (as the file's XML), its bytes."""


def png(rgb: tuple[int, int, int]) -> bytes:
    out = BytesIO()
    PILImage.new("RGB", (4, 3), rgb).save(out, "PNG")
    return out.getvalue()


RED, BLUE = png((200, 30, 30)), png((30, 30, 200))


def make_workbook(path: Path) -> Path:
    """Avgångsklass (a tab the tool writes) with a logo at I1, and Logga (a tab the tool does
    not know) with another picture at B2."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Avgångsklass"
    ws.append(GRADUATES.header)
    ws.append(["AK-0001", "Anna Ek", "anna@example.org", 2026])
    ws.append(["AK-0002", "Bo Berg", "bo@example.org", 2026])
    ws.add_image(Image(BytesIO(RED)), "I1")
    logo = book.create_sheet("Logga")
    logo["A1"] = "Sektionens logga"
    logo.add_image(Image(BytesIO(BLUE)), "B2")
    book.save(path)
    return path


def pictures(path: Path) -> list[Picture]:
    book = load_workbook(path)
    return [
        (ws.title, etree.tostring(image.anchor.to_tree()).decode(), image._data())
        for ws in book.worksheets
        for image in ws._images  # type: ignore[attr-defined]
    ]


@pytest.fixture
def workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    return make_workbook(tmp_path / "alumni.xlsx")


# -- with Pillow: every save keeps them --------------------------------------------------------


def _delete_a_row(path: Path) -> None:
    store = XlsxStore(path)
    store.read()
    changes = ChangeSet()
    changes.delete("Avgångsklass", "AK-0002")
    changes.set("Avgångsklass", "AK-0001", "Inbjudningsstatus", "skickad")
    result = store.apply(changes)
    assert (result.rows_deleted, result.cells) == (1, 1)


@pytest.mark.parametrize(
    "save",
    [
        pytest.param(_delete_a_row, id="XlsxStore.apply deleting a row"),
        pytest.param(["init"], id="alumni init on the workbook"),
        pytest.param(["daily"], id="alumni daily"),
    ],
)
def test_pictures_keep_their_bytes_and_anchors_through_a_save(
    workbook: Path, capsys: pytest.CaptureFixture[str], save: object
) -> None:
    before = pictures(workbook)
    assert [(tab, data) for tab, _, data in before] == [("Avgångsklass", RED), ("Logga", BLUE)]
    modified = workbook.stat().st_mtime_ns

    if isinstance(save, list):
        code, _, err = alumni(capsys, *save)
        assert (code in (0, 1), err) == (True, "")
    else:
        save(workbook)  # type: ignore[operator]

    assert workbook.stat().st_mtime_ns != modified, "the command saved the workbook"
    assert pictures(workbook) == before


@pytest.mark.parametrize(
    "steps",
    [
        ("set", "set"),  # both written into the tab's XML
        ("set", "delete", "set"),  # a save through openpyxl between them
        ("delete", "set", "set"),
    ],
)
def test_every_write_of_a_run_keeps_the_pictures(workbook: Path, steps: tuple[str, ...]) -> None:
    """openpyxl closes a loaded picture's data when it saves it; the store never saves the
    same loaded copy twice."""
    before = pictures(workbook)
    store = XlsxStore(workbook)
    store.read()
    for number, step in enumerate(steps):
        changes = ChangeSet()
        if step == "set":
            changes.set("Avgångsklass", "AK-0001", "Inbjudningsstatus", f"skickad {number}")
        else:
            changes.delete("Avgångsklass", "AK-0002")
        store.apply(changes)

    assert pictures(workbook) == before


# -- without Pillow: refused, nothing lost -------------------------------------------------------

REFUSAL = (
    "alumni: {path} was not saved: saving it would lose what openpyxl cannot keep:\n"
    "  the picture xl/media/image1.png in Avgångsklass!I1\n"
    "  the picture xl/media/image2.png in Logga!B2\n"
    "Nothing was written. To keep them, install Pillow in the tool's Python (`pip install "
    "pillow`), which openpyxl needs to keep pictures, then run again.\n"
)

WITHOUT_PILLOW = textwrap.dedent(
    """
    import contextlib, io, json, sys
    sys.modules["PIL"] = None  # `import PIL` fails, as where Pillow is not installed
    from alumni.cli import run
    from openpyxl.reader import drawings
    answers = []
    for args in json.loads(sys.argv[1]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = run(args)
        answers.append([code, err.getvalue()])
    print(json.dumps({"openpyxl reads pictures": bool(drawings.PILImage), "runs": answers}))
    """
)

WITHOUT_PILLOW_RUNS: list[tuple[str, int, bool]] = [
    ("daily", 2, True),
    ("init", 2, True),
    ("check", 1, False),  # reads only: nothing to lose (the tabs it lacks are its problems)
]
"""Each command, its exit status and whether it is refused; a refused command leaves the
workbook as it was, so all of them run on one workbook, in one Python without Pillow."""


@pytest.fixture(scope="module")
def without_pillow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, list[Any]]:
    """The workbook, its bytes before, and each command's (status, stderr) in a Python where
    `import PIL` fails."""
    workbook = make_workbook(tmp_path_factory.mktemp("no-pillow") / "alumni.xlsx")
    before = workbook.read_bytes()
    commands = [["--now", NOW, "--for-real", name] for name, _, _ in WITHOUT_PILLOW_RUNS]
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PILLOW, json.dumps(commands)],
        cwd=workbook.parent,
        env={
            **{k: v for k, v in os.environ.items() if k != "ALUMNI_CONFIG"},
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    answer = json.loads(done.stdout)
    assert answer["openpyxl reads pictures"] is False, "Pillow was importable after all"
    return workbook, before, answer["runs"]


@pytest.mark.parametrize(
    "index", range(len(WITHOUT_PILLOW_RUNS)), ids=[name for name, _, _ in WITHOUT_PILLOW_RUNS]
)
def test_without_pillow_a_save_that_would_drop_pictures_is_refused(
    without_pillow: tuple[Path, bytes, list[Any]], index: int
) -> None:
    workbook, before, answers = without_pillow
    _, code, refused = WITHOUT_PILLOW_RUNS[index]

    assert answers[index] == [code, REFUSAL.format(path=workbook) if refused else ""]
    assert workbook.read_bytes() == before


@pytest.mark.parametrize(
    ("pillow", "expected"),
    [
        (True, []),
        (
            False,
            [
                Loss("the picture xl/media/image1.png", "Avgångsklass!I1", PICTURES_NEED_PILLOW),
                Loss("the picture xl/media/image2.png", "Logga!B2", PICTURES_NEED_PILLOW),
            ],
        ),
    ],
)
def test_losses_name_each_picture_and_where_it_is_when_openpyxl_cannot_keep_it(
    workbook: Path, monkeypatch: pytest.MonkeyPatch, pillow: bool, expected: list[Loss]
) -> None:
    monkeypatch.setattr(fidelity, "_pictures_kept", lambda: pillow)

    assert losses(workbook) == expected


def test_the_store_refuses_before_it_writes_anything(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = XlsxStore(workbook)
    store.read()
    monkeypatch.setattr(fidelity, "_pictures_kept", lambda: False)
    before = workbook.read_bytes()
    changes = ChangeSet()
    changes.delete("Avgångsklass", "AK-0002")  # deleting rows is saved through openpyxl

    with pytest.raises(StoreError) as info:
        store.apply(changes)

    assert f"{info.value}\n" == REFUSAL.format(path=workbook).removeprefix("alumni: ")
    assert workbook.read_bytes() == before


def test_without_pillow_a_cell_write_still_goes_through_and_keeps_them(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write of cells rewrites only that tab's XML: pictures are never in openpyxl's hands."""
    before = pictures(workbook)
    store = XlsxStore(workbook)
    store.read()
    monkeypatch.setattr(fidelity, "_pictures_kept", lambda: False)
    changes = ChangeSet()
    changes.set("Avgångsklass", "AK-0001", "Inbjudningsstatus", "skickad")

    store.apply(changes)

    assert pictures(workbook) == before
    header, first = XlsxStore(workbook).read()["Avgångsklass"].rows[:2]
    assert first[header.index("Inbjudningsstatus")] == "skickad"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, []),  # no pictures at all
        (b"not a zip file", []),  # not a workbook: reading it says so, not this check
    ],
)
def test_a_workbook_without_pictures_or_that_is_no_workbook_has_no_losses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None, expected: list[Loss]
) -> None:
    monkeypatch.setattr(fidelity, "_pictures_kept", lambda: False)
    path = tmp_path / "alumni.xlsx"
    if content is None:
        Workbook().save(path)
    else:
        path.write_bytes(content)

    assert losses(path) == expected
