"""What saving a workbook through openpyxl would lose, read from the file before it is saved."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from alumni.errors import StoreError
from alumni.findings import column_letter

# Entities stay unexpanded and nothing is fetched: a workbook is untrusted input.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"


@dataclass(frozen=True)
class Loss:
    """One thing in a workbook that openpyxl would not write back.

    `what` names it for people ("the picture xl/media/image1.png"), `where` says where it sits
    ("Översikt!B2", a tab's title, or "" for the workbook as a whole), and `remedy` how to keep
    it (the same remedy for every loss of one kind, so a message says it once).
    """

    what: str
    where: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.what} in {self.where}" if self.where else self.what


PICTURES_NEED_PILLOW = (
    "install Pillow in the tool's Python (`pip install pillow`), which openpyxl needs to keep "
    "pictures, then run again"
)


def losses(path: Path) -> list[Loss]:
    """What loading the workbook at `path` with openpyxl and saving it would drop, in the
    order of the file's parts; [] when nothing would be lost or the file cannot be read as a
    workbook (reading it says why)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [loss for check in _CHECKS for loss in check(_Package(archive))]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, etree.XMLSyntaxError):
        return []


def refuse_losses(path: Path) -> None:
    """Stop a save through openpyxl that would lose part of the workbook at `path`: a
    StoreError naming the file, every loss and what to do, before anything is written."""
    found = losses(path)
    if not found:
        return
    lines = "\n".join(f"  {loss}" for loss in found)
    remedies = "; ".join(dict.fromkeys(loss.remedy for loss in found))
    raise StoreError(
        f"{path} was not saved: saving it would lose what openpyxl cannot keep:\n{lines}\n"
        f"Nothing was written. To keep them, {remedies}."
    )


# -- the package's parts -----------------------------------------------------------------------


class _Package:
    """The parts of an .xlsx and their relationships, read as they are asked for."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = archive.namelist()

    def xml(self, name: str) -> Any:
        return etree.fromstring(self.archive.read(name), _PARSER)

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """The relationships of `part`: id → (type, target part name); {} when it has none."""
        folder, file = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", file + ".rels")
        if rels not in self.names:
            return {}
        out: dict[str, tuple[str, str]] = {}
        for rel in self.xml(rels).iter(f"{{{_PACKAGE_RELS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            name = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            out[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(name))
        return out

    def worksheets(self) -> Iterator[tuple[str, str]]:
        """Each worksheet's title and part name, in the workbook's order."""
        book = "xl/workbook.xml"
        targets = self.rels(book)
        for sheet in self.xml(book).iter(f"{{{_MAIN}}}sheet"):
            found = targets.get(sheet.get(f"{{{_REL}}}id", ""))
            if found is not None and found[1] in self.names:
                yield sheet.get("name", ""), found[1]


# -- what openpyxl drops -------------------------------------------------------------------------


def _pictures_kept() -> bool:
    """Whether openpyxl reads pictures in: only when it could import Pillow (PIL) when it was
    imported itself; else it leaves them out without a word."""
    from openpyxl.reader import drawings

    return bool(drawings.PILImage)


def _pictures(package: _Package) -> list[Loss]:
    """Every picture (xl/media/*) when openpyxl cannot keep pictures: where a tab's drawing
    anchors it, that tab and cell, else the workbook."""
    media = [n for n in package.names if n.startswith("xl/media/")]
    if not media or _pictures_kept():
        return []
    places: dict[str, list[str]] = {}
    for title, part in package.worksheets():
        for kind, drawing in package.rels(part).values():
            if kind.endswith("/drawing") and drawing in package.names:
                for name, cell in _anchored(package, drawing):
                    places.setdefault(name, []).append(f"{title}!{cell}" if cell else title)
    return [
        Loss(f"the picture {name}", where, PICTURES_NEED_PILLOW)
        for name in media
        for where in places.get(name, [""])
    ]


def _anchored(package: _Package, drawing: str) -> Iterator[tuple[str, str]]:
    """The pictures a drawing part shows: media part name and the cell of its top-left
    corner ("" for an anchor without one)."""
    targets = package.rels(drawing)
    for anchor in package.xml(drawing):
        start = anchor.find(f"{{{_DRAWING}}}from")
        cell = ""
        if start is not None:
            col = int(start.findtext(f"{{{_DRAWING}}}col") or 0)
            row = int(start.findtext(f"{{{_DRAWING}}}row") or 0)
            cell = f"{column_letter(col)}{row + 1}"
        for blip in anchor.iter(_BLIP):
            found = targets.get(blip.get(f"{{{_REL}}}embed", ""))
            if found is not None:
                yield found[1], cell


BY_HAND = (
    "make this change by hand in Excel or LibreOffice instead (`alumni purge` without --apply "
    "lists the rows it would remove; `alumni check` names the tabs and headers `alumni init` "
    "would add)"
)
_SHAPES = {"sp", "grpSp", "cxnSp"}
_SHOWN = 3
"""Cells named per tab in a loss; the rest are counted."""


def _cached_results(package: _Package) -> list[Loss]:
    """Formulas whose last results the file keeps: openpyxl writes the formula alone, so a
    viewer that does not compute (a phone's preview, a sync client's) shows an empty cell."""
    found: list[Loss] = []
    for title, part in package.worksheets():
        cells = []
        with package.archive.open(part) as stream:
            for _, cell in etree.iterparse(stream, tag=f"{{{_MAIN}}}c", **_ITERPARSE):
                if (
                    cell.find(f"{{{_MAIN}}}f") is not None
                    and cell.find(f"{{{_MAIN}}}v") is not None
                ):
                    cells.append(cell.get("r", "?"))
                cell.clear()
        if cells:
            shown = ", ".join(cells[:_SHOWN]) + (
                f" and {len(cells) - _SHOWN} more" if len(cells) > _SHOWN else ""
            )
            found.append(
                Loss(f"the saved results of {len(cells)} formulas ({shown})", title, BY_HAND)
            )
    return found


def _shapes(package: _Package) -> list[Loss]:
    """Drawn shapes, text boxes and connectors: openpyxl reads pictures and charts only."""
    found: list[Loss] = []
    for title, part in package.worksheets():
        for kind, drawing in package.rels(part).values():
            if kind.endswith("/drawing") and drawing in package.names:
                count = sum(
                    1
                    for anchor in package.xml(drawing)
                    for child in anchor
                    if etree.QName(child).localname in _SHAPES
                )
                if count:
                    found.append(Loss(f"{count} drawn shape(s) or text box(es)", title, BY_HAND))
    return found


def _extensions(package: _Package) -> list[Loss]:
    """A tab's Excel extensions (sparklines, newer colour rules and dropdowns), which openpyxl
    leaves out when it writes the tab again."""
    found: list[Loss] = []
    for title, part in package.worksheets():
        root = package.xml(part)
        ext = root.find(f"{{{_MAIN}}}extLst")
        if ext is not None and len(ext):
            kinds = sorted(
                {
                    etree.QName(child).localname
                    for e in ext
                    for child in e
                    if isinstance(child.tag, str)
                }
            )
            found.append(
                Loss(f"Excel extensions ({', '.join(kinds) or 'unnamed'})", title, BY_HAND)
            )
    return found


_ITERPARSE: dict[str, Any] = {"resolve_entities": False, "no_network": True, "load_dtd": False}

_CHECKS: tuple[Callable[[_Package], list[Loss]], ...] = (
    _pictures,
    _shapes,
    _cached_results,
    _extensions,
)
"""Each kind of loss, checked in this order; a new kind is one more function here."""
