"""Small WordprocessingML touches that python-docx has no API for: borders, shading,
explicit fonts, table captions; copies of prepared content, and styles saved as read."""

from __future__ import annotations

import io
from copy import deepcopy
from typing import cast

from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.package import Unmarshaller
from docx.opc.packuri import PackURI
from docx.opc.part import Part, PartFactory
from docx.opc.pkgreader import PackageReader
from docx.oxml import OxmlElement
from docx.oxml.document import CT_Body
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.package import Package
from docx.parts.document import DocumentPart
from docx.parts.styles import StylesPart
from docx.shared import Length
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

# A border is (width in eighths of a point, hex colour); None removes the edge.
Border = tuple[int, str] | None

_PPR_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
    "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
    "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
    "w:pPrChange",
)  # fmt: skip
_TBLPR_AFTER_BORDERS = (
    "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription",
)  # fmt: skip
_TCPR_AFTER_BORDERS = (
    "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
    "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
)  # fmt: skip
_TCPR_AFTER_SHD = _TCPR_AFTER_BORDERS[1:]


def set_font(rpr: BaseOxmlElement, name: str) -> None:
    """Name the font for every script, dropping theme fonts (which would win over it)."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attribute in list(rfonts.attrib):
        if attribute.endswith("Theme"):
            del rfonts.attrib[attribute]
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(script), name)


def set_language(rpr: BaseOxmlElement, language: str) -> None:
    """The proofing language, so that Word checks British spelling."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), language)


def _edges(tag: str, edges: dict[str, Border]) -> BaseOxmlElement:
    element = OxmlElement(tag)
    for edge, border in edges.items():
        child = OxmlElement(f"w:{edge}")
        if border is None:
            child.set(qn("w:val"), "nil")
        else:
            width, colour = border
            child.set(qn("w:val"), "single")
            child.set(qn("w:sz"), str(width))
            child.set(qn("w:space"), "0")
            child.set(qn("w:color"), colour)
        element.append(child)
    return element


def _replace(
    parent: BaseOxmlElement, element: BaseOxmlElement, successors: tuple[str, ...]
) -> None:
    old = parent.find(element.tag)
    if old is not None:
        parent.remove(old)
    parent.insert_element_before(element, *successors)


def set_table_borders(table: Table, **edges: Border) -> None:
    """Edges: top, left, bottom, right, insideH, insideV."""
    _replace(table._tbl.tblPr, _edges("w:tblBorders", edges), _TBLPR_AFTER_BORDERS)


def set_cell_margins(table: Table, **edges: int) -> None:
    """Default padding of every cell, in twentieths of a point (edges: top, left, ...)."""
    margins = OxmlElement("w:tblCellMar")
    for edge, twips in edges.items():
        child = OxmlElement(f"w:{edge}")
        child.set(qn("w:w"), str(twips))
        child.set(qn("w:type"), "dxa")
        margins.append(child)
    _replace(table._tbl.tblPr, margins, ("w:tblLook", "w:tblCaption", "w:tblDescription"))


def set_cell_borders(cell: _Cell, **edges: Border) -> None:
    _replace(cell._tc.get_or_add_tcPr(), _edges("w:tcBorders", edges), _TCPR_AFTER_BORDERS)


def set_cell_shading(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    _replace(cell._tc.get_or_add_tcPr(), shading, _TCPR_AFTER_SHD)


def set_paragraph_border(paragraph: Paragraph, **edges: Border) -> None:
    border = _edges("w:pBdr", edges)
    for child in border:
        child.set(qn("w:space"), "4")
    _replace(paragraph._p.get_or_add_pPr(), border, _PPR_AFTER_PBDR)


def set_table_caption(table: Table, caption: str, description: str) -> None:
    """Alt text for the table: read by screen readers, and how the code table is found again."""
    tbl_pr = table._tbl.tblPr
    for tag, value in (("w:tblCaption", caption), ("w:tblDescription", description)):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value)
        old = tbl_pr.find(qn(tag))
        if old is not None:
            tbl_pr.remove(old)
        tbl_pr.append(element)


def table_caption(table: Table) -> str | None:
    element = table._tbl.tblPr.find(qn("w:tblCaption"))
    return None if element is None else element.get(qn("w:val"))


def set_column_widths(table: Table, widths: list[Length]) -> None:
    """Widths in EMU, set on the grid (LibreOffice reads it) and on every cell (Word does)."""
    for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid_col.w = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def append_copies(body: CT_Body, elements: list[BaseOxmlElement]) -> list[BaseOxmlElement]:
    """Copies of the paragraphs and tables, added at the end of the body's content."""
    copies = [deepcopy(element) for element in elements]
    section = body.sectPr  # always last
    for copy in copies:
        if section is None:
            body.append(copy)
        else:
            section.addprevious(copy)
    return copies


def open_with_finished_styles(docx: bytes) -> DocxDocument:
    """``docx.Document(docx)`` for a document whose styles are finished: each save writes
    them as they were read, rather than serialising their 350 kB again. Changes made to
    the styles after opening are not saved."""

    def part(
        partname: PackURI, content_type: str, reltype: str, blob: bytes, package: Package
    ) -> Part:
        if content_type == CT.WML_STYLES:
            return _FinishedStylesPart.load(partname, content_type, blob, package)
        return cast(Part, PartFactory(partname, content_type, reltype, blob, package))

    # What docx.Document does, with the factory of parts above in place of PartFactory.
    reader = PackageReader.from_file(io.BytesIO(docx))  # type: ignore[no-untyped-call]
    package = Package()
    Unmarshaller.unmarshal(reader, package, part)  # type: ignore[no-untyped-call]
    document_part = package.main_document_part
    assert isinstance(document_part, DocumentPart)
    document: DocxDocument = document_part.document
    return document


class _FinishedStylesPart(StylesPart):
    def __init__(
        self,
        partname: PackURI,
        content_type: str,
        element: BaseOxmlElement,
        package: Package,
        saved: bytes,
    ) -> None:
        super().__init__(partname, content_type, element, package)
        self._saved = saved

    @classmethod
    def load(
        cls, partname: PackURI, content_type: str, blob: bytes, package: Package
    ) -> _FinishedStylesPart:
        return cls(partname, content_type, parse_xml(blob), package, blob)

    @property
    def blob(self) -> bytes:
        return self._saved
