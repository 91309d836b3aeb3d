"""A real, headless LibreOffice that saves files as .xlsx the way a person saving from its window
would: for workbooks made the way the committee makes them.

`soffice --convert-to xlsx` alone is not enough: headless, there is no window, and LibreOffice
then writes no frozen panes (it keeps them with the window's view; see unoconv issue 245). So
each file is opened in a view by a small Basic macro in a profile of our own, the panes a person
froze are frozen there, and the view saves the file as "Calc MS Excel 2007 XML", all files in
one start of LibreOffice (it takes seconds to start).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import cannot_run

Panes = Mapping[int, tuple[int, int]]
"""Frozen panes by sheet index (0-based): (rows, columns) kept in view."""

_BASIC_LIBRARY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard"
 library:readonly="false" library:passwordprotected="false">{elements}</library:library>
"""
_BASIC_LIBRARIES = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "libraries.dtd">
<library:libraries xmlns:library="http://openoffice.org/2000/library"
 xmlns:xlink="http://www.w3.org/1999/xlink">
 <library:library library:name="Standard" library:link="false"/>
</library:libraries>
"""
# A profile LibreOffice takes as set up already, so that it does not copy its presets over the
# macro on first start.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/Office"><prop oor:name="ooSetupInstCompleted"
 oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""
# Jobs: "source*target*sheet,rows,columns*...|next job"; any error is written to the file
# `failed` (a Basic error would otherwise wait for someone to click its dialog).
_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Convert"
 script:language="StarBasic">
Sub SaveAllAsXlsx(jobs As String, failed As String)
  Dim job, parts, pane, doc, ctrl, i, j
  On Error GoTo Fail
  For Each job In Split(jobs, &quot;|&quot;)
    parts = Split(job, &quot;*&quot;)
    Dim load(0) As New com.sun.star.beans.PropertyValue
    load(0).Name = &quot;Hidden&quot;
    load(0).Value = False
    doc = StarDesktop.loadComponentFromURL(ConvertToURL(parts(0)), &quot;_blank&quot;, 0, load())
    ctrl = doc.getCurrentController()
    For j = 2 To UBound(parts)
      pane = Split(parts(j), &quot;,&quot;)
      ctrl.setActiveSheet(doc.getSheets().getByIndex(CInt(pane(0))))
      ctrl.freezeAtPosition(CLng(pane(2)), CLng(pane(1)))
    Next j
    ctrl.setActiveSheet(doc.getSheets().getByIndex(0))
    Dim save(0) As New com.sun.star.beans.PropertyValue
    save(0).Name = &quot;FilterName&quot;
    save(0).Value = &quot;Calc MS Excel 2007 XML&quot;
    doc.storeToURL(ConvertToURL(parts(1)), save())
    doc.close(True)
  Next job
  StarDesktop.terminate()
  Exit Sub
Fail:
  i = FreeFile()
  Open failed For Output As #i
  Print #i, &quot;Basic error &quot; &amp; Err &amp; &quot; at line &quot; &amp; Erl &amp; &quot;: &quot; &amp; Error$
  Close #i
  StarDesktop.terminate()
End Sub
</script:module>
"""


def find_soffice() -> str | None:
    """LibreOffice's `soffice` on this machine: $SOFFICE, else on PATH (Debian's
    libreoffice-calc puts it at /usr/bin/soffice)."""
    given = os.environ.get("SOFFICE")
    if given:
        return given if shutil.which(given) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


@dataclass
class LibreOffice:
    """One headless LibreOffice per test session, with a profile of its own; what it saved is
    kept for the session, by the source's bytes."""

    executable: str
    root: Path
    _saved: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        basic = self.root / "profile" / "user" / "basic"
        (basic / "Standard").mkdir(parents=True)
        (self.root / "profile" / "user" / "registrymodifications.xcu").write_text(_REGISTRY)
        for kind in ("script", "dialog"):
            (basic / f"{kind}.xlc").write_text(_BASIC_LIBRARIES)
        (basic / "Standard" / "script.xlb").write_text(
            _BASIC_LIBRARY.format(elements='<library:element library:name="Convert"/>')
        )
        (basic / "Standard" / "dialog.xlb").write_text(_BASIC_LIBRARY.format(elements=""))
        (basic / "Standard" / "Convert.xba").write_text(_MACRO)

    def save_as_xlsx(
        self, sources: Sequence[Path], panes: Mapping[Path, Panes] | None = None
    ) -> list[Path]:
        """Each source (.fods, .ods, .xlsx, ...) opened and saved as .xlsx by LibreOffice,
        with `panes[source]` frozen first; all in one start of LibreOffice."""
        panes = panes or {}
        keys = [self._key(source, panes.get(source, {})) for source in sources]
        jobs = []
        for source, key in zip(sources, keys, strict=True):
            if key in self._saved:
                continue
            target = self.root / "saved" / key / (Path(source).stem + ".xlsx")
            target.parent.mkdir(parents=True)
            frozen = "".join(f"*{s},{r},{c}" for s, (r, c) in panes.get(source, {}).items())
            jobs.append((key, target, f"{Path(source).resolve()}*{target}{frozen}"))
        if jobs:
            self._run([job for _, _, job in jobs])
            for key, target, _ in jobs:
                self._saved[key] = target
        return [self._saved[key] for key in keys]

    def _key(self, source: Path, panes: Panes) -> str:
        digest = hashlib.sha256(Path(source).read_bytes())
        digest.update(repr(sorted(panes.items())).encode())
        return digest.hexdigest()[:16]

    def _run(self, jobs: list[str]) -> None:
        for job in jobs:
            if any(ch in job for ch in '"|'):
                raise ValueError(f"a path LibreOffice's macro call cannot carry: {job}")
        failed = self.root / "failed.txt"
        failed.unlink(missing_ok=True)
        profile = (self.root / "profile").resolve().as_uri()
        # A session of its own, so that a LibreOffice that hangs is stopped with all the
        # processes it started (soffice is a script that starts soffice.bin).
        office = subprocess.Popen(
            [
                self.executable,
                "--headless",
                "--norestore",
                "--nologo",
                f"-env:UserInstallation={profile}",
                f'macro:///Standard.Convert.SaveAllAsXlsx("{"|".join(jobs)}","{failed}")',
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, stderr = office.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(office.pid, signal.SIGKILL)
            office.communicate()
            raise AssertionError("LibreOffice did not finish saving within 180 s") from None
        problem = failed.read_text() if failed.exists() else ""
        missing = [job.split("*")[1] for job in jobs if not Path(job.split("*")[1]).exists()]
        if office.returncode != 0 or problem or missing:
            raise AssertionError(
                f"LibreOffice did not save {missing or 'every file'} (exit {office.returncode}): "
                f"{problem}{stderr.decode(errors='replace')[-2000:]}"
            )


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibreOffice]:
    """A headless LibreOffice; the test is skipped where none is installed, except in CI
    (CI=true), where a missing LibreOffice is a failure: .ci/run installs it."""
    executable = find_soffice()
    if executable is None:
        reason = (
            "LibreOffice is not installed, so no workbook is made the way people make them "
            "(install it: apt-get install --no-install-recommends libreoffice-calc)"
        )
        cannot_run(reason)
    yield LibreOffice(executable, tmp_path_factory.mktemp("libreoffice"))
