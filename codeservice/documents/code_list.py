"""The monthly access code list for the helpline (§22), as a Word document.

Helpline agents normally check callers in the verification console and never see a
code. When they cannot use it, the BMT exports this list: one table, a row per prime
provider, the code in monospaced type over its position numbers so that "the second,
fifth and eighth character" can be read off without counting. Like the provider's
document, it is encrypted before it leaves memory (``services.export``).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell, _Row

from codeservice.documents.content import UK_TIME
from codeservice.documents.errors import DocumentError
from codeservice.documents.ooxml import (
    set_cell_shading,
    set_column_widths,
    set_font,
    set_language,
    set_table_borders,
    set_table_caption,
    table_caption,
)
from codeservice.domain.wording import cycle_label, moment_text

BODY_FONT = "Arial"
CODE_FONT = "Courier New"
BLACK = RGBColor(0x0B, 0x0C, 0x0C)
GREY = RGBColor(0x50, 0x5A, 0x5F)
RULE = "B1B4B6"
PALE = "F3F2F1"
MARKING = "OFFICIAL-SENSITIVE"
AUTHOR = "Provider Direct Business Management Team"
TABLE_CAPTION = "Access codes"
TABLE_DESCRIPTION = (
    "One row per prime provider: reference, name, subcontractors, the access code with "
    "the position of each character, and when the code is valid."
)
HEADINGS = ("Ref", "Prime provider", "Subcontractors", "Access code", "Valid from", "Valid until")
WIDTHS = (Cm(2.4), Cm(7.2), Cm(5.6), Cm(4.9), Cm(3.3), Cm(3.3))
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class CodeListEntry:
    provider_ref: str
    provider_name: str
    subcontractors: tuple[str, ...]
    access_code: str = field(repr=False)
    active_from: datetime
    active_until: datetime


@dataclass(frozen=True)
class CodeListContent:
    cycle: str
    active_from: datetime
    active_until: datetime
    exported_at: datetime
    exported_by: str
    entries: tuple[CodeListEntry, ...]


def code_list_filename(cycle: str) -> str:
    """'provider-direct-code-list-2027-04.docx'."""
    return f"provider-direct-code-list-{_FILENAME_UNSAFE.sub('-', cycle).strip('-')}.docx"


def build_code_list(content: CodeListContent) -> bytes:
    """The plain ``.docx``; the caller encrypts it before it goes anywhere."""
    document = Document()
    _page_and_styles(document)
    _properties(document, content)
    label = cycle_label(content.cycle)
    heading = document.add_paragraph(f"Provider Direct access code list: {label}", style="Title")
    heading.paragraph_format.space_after = Pt(4)
    document.add_paragraph(
        f"Cycle {content.cycle}, in force from {moment_text(content.active_from, UK_TIME)} "
        f"until {moment_text(content.active_until, UK_TIME)} (UK time). "
        f"{len(content.entries)} prime providers. Exported by {content.exported_by} on "
        f"{moment_text(content.exported_at, UK_TIME)}."
    )
    for rule in _rules(content):
        document.add_paragraph(rule, style="List Bullet")
    _table(document, content.entries)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def read_code_list(docx: bytes) -> list[tuple[str, str]]:
    """(provider ref, access code) of every row, read back from a plain document."""
    try:
        document = Document(io.BytesIO(docx))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError("This is not a readable Word document.") from exc
    for table in document.tables:
        if table_caption(table) == TABLE_CAPTION:
            return [
                (row.cells[0].text, row.cells[3].paragraphs[0].text.replace(" ", ""))
                for row in table.rows[1:]
            ]
    raise DocumentError("This Word document has no access code table.")


def _rules(content: CodeListContent) -> list[str]:
    until = moment_text(content.active_until, UK_TIME)
    return [
        "For the helpline, only when the verification console cannot be used (guidance "
        "§22). Ask the caller for three characters of their prime provider's code by "
        "position; never read out, spell or confirm the whole code.",
        "Subcontractors use their prime provider's code.",
        "Keep this file where only helpline agents can open it. Do not print it, forward it "
        "or copy codes out of it. Its unlock code is sent separately: never keep the two "
        "together.",
        f"Delete this file when the cycle ends ({until}) or when a newer list arrives: a code "
        "replaced after a security incident is only on a list exported after the reissue.",
    ]


def _page_and_styles(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(1.5)
    section.left_margin = section.right_margin = Cm(1.5)
    for part in (section.header, section.footer):
        paragraph = part.paragraphs[0]
        run = paragraph.add_run(MARKING)
        run.bold = True
        run.font.size = Pt(9)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles = document.styles
    normal = styles["Normal"]
    set_font(normal.element.get_or_add_rPr(), BODY_FONT)
    set_language(normal.element.get_or_add_rPr(), "en-GB")
    normal.font.size = Pt(10)
    normal.font.color.rgb = BLACK
    normal.paragraph_format.space_after = Pt(3)
    title = styles["Title"]
    set_font(title.element.get_or_add_rPr(), BODY_FONT)
    title.font.size = Pt(20)
    title.font.bold = True
    title.font.color.rgb = BLACK


def _properties(document: DocxDocument, content: CodeListContent) -> None:
    properties = document.core_properties
    properties.title = f"Provider Direct access code list: {cycle_label(content.cycle)}"
    properties.subject = "Provider Direct monthly access code list"
    properties.author = properties.last_modified_by = AUTHOR
    properties.keywords = f"Provider Direct; {content.cycle}"
    properties.category = MARKING
    properties.comments = ""
    properties.created = properties.modified = content.exported_at
    properties.revision = 1


def _table(document: DocxDocument, entries: tuple[CodeListEntry, ...]) -> Table:
    table: Table = document.add_table(rows=1 + len(entries), cols=len(HEADINGS))
    table.autofit = False
    set_column_widths(table, list(WIDTHS))
    set_table_caption(table, TABLE_CAPTION, TABLE_DESCRIPTION)
    rule = (4, RULE)
    set_table_borders(table, top=rule, bottom=rule, insideH=rule)
    header = table.rows[0]
    _repeat_as_header(header)
    for cell, text in zip(header.cells, HEADINGS, strict=True):
        _text(cell, text, bold=True)
        set_cell_shading(cell, PALE)
    for row, entry in zip(table.rows[1:], entries, strict=True):
        _keep_together(row)
        cells = row.cells
        _text(cells[0], entry.provider_ref, bold=True)
        _text(cells[1], entry.provider_name)
        _text(cells[2], ", ".join(entry.subcontractors) or "None")
        _code(cells[3], entry.access_code)
        _text(cells[4], _short(entry.active_from))
        _text(cells[5], _short(entry.active_until))
    return table


def _code(cell: _Cell, code: str) -> None:
    """The characters over their positions, both in one monospaced size so they line up."""
    characters = cell.paragraphs[0]
    positions = cell.add_paragraph()
    for paragraph, text, bold in (
        (characters, " ".join(code), True),
        (positions, " ".join(str(n) for n in range(1, len(code) + 1)), False),
    ):
        run = paragraph.add_run(text)
        set_font(run._r.get_or_add_rPr(), CODE_FONT)
        run.font.size = Pt(13)
        run.bold = bold
        if not bold:
            run.font.color.rgb = GREY
        paragraph.paragraph_format.space_after = Pt(0)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _text(cell: _Cell, text: str, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    paragraph.paragraph_format.space_before = Pt(2)
    paragraph.paragraph_format.space_after = Pt(2)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _repeat_as_header(row: _Row) -> None:
    """The heading row is repeated at the top of every page."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _keep_together(row: _Row) -> None:
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(cant_split)


def _short(moment: datetime) -> str:
    """'Mon 5 Apr 2027 00:00' (UK time)."""
    local = moment.astimezone(UK_TIME)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"
