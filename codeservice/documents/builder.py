"""The one-page Word document that carries a provider's access code for one cycle (§44).

The plain ``.docx`` only ever lives in memory: it is encrypted before it is stored or sent.
The code appears in the body only, never in the document's properties, header or footer.

A document is this thread's template (``template``) with copies of the sections, and
its own words put in.
"""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.table import CT_Tbl, CT_Tc
from docx.oxml.text.run import CT_R
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from codeservice.documents import wording
from codeservice.documents.content import DocumentContent
from codeservice.documents.errors import DocumentError
from codeservice.documents.ooxml import (
    set_cell_borders,
    set_cell_margins,
    set_cell_shading,
    set_column_widths,
    set_font,
    set_paragraph_border,
    set_table_borders,
    set_table_caption,
    table_caption,
)
from codeservice.documents.template import MARKING, thread_template
from codeservice.domain.phonetic import spell_character

CODE_FONT = "Courier New"  # ... and this in Liberation Mono
GREY = RGBColor(0x50, 0x5A, 0x5F)  # GOV.UK secondary text
RULE = "B1B4B6"  # GOV.UK border grey
PALE = "F3F2F1"  # GOV.UK light-grey fill
CODE_TABLE_CAPTION = "Access code"
AUTHOR = "Provider Direct Business Management Team"
CELL = Cm(2.0)
CELL_PADDING = Pt(2)
LONG_DETAIL = 150  # characters: a longer name is set smaller, so the page still holds it
DETAILS = ("Provider", "Prime provider", "Cycle", "Valid from", "Valid until", "Document reference")


def build_document(content: DocumentContent) -> bytes:
    content.check_typed_text()
    template = thread_template()
    document = template.blank()
    code = content.access_code
    _properties(document, content)
    _caption(document, content)
    template.add(_title)
    if content.reissue_reason is not None:
        _notice(document, content.reissue_reason)
    _put_details(template.add(_details_table), content)
    _put_code(template.add(_code_section, len(code)), code)
    _put_spelling(template.add(_spelling_section, len(code)), code)
    template.add(_rules)
    return template.save()


def read_access_code(docx: bytes) -> str:
    """The code shown in a plain (decrypted) document, read back from its code table."""
    try:
        document = Document(io.BytesIO(docx))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError("This is not a readable Word document.") from exc
    for table in document.tables:
        if table_caption(table) == CODE_TABLE_CAPTION:
            return "".join(cell.text for cell in table.rows[0].cells)
    raise DocumentError("This Word document has no access code table.")


def _properties(document: DocxDocument, content: DocumentContent) -> None:
    properties = document.core_properties
    properties.title = content.title
    properties.subject = "Provider Direct access code"
    properties.author = AUTHOR
    properties.last_modified_by = AUTHOR
    properties.keywords = f"Provider Direct; {content.provider_ref}; {content.cycle}"
    properties.category = MARKING
    properties.comments = ""
    properties.identifier = content.document_ref
    properties.created = properties.modified = content.issued_at
    properties.revision = 1


def _caption(document: DocxDocument, content: DocumentContent) -> None:
    caption = document.add_paragraph()
    run = caption.add_run(f"Provider Direct · {content.cycle_label}")
    run.font.size = Pt(11)
    run.font.color.rgb = GREY
    caption.paragraph_format.space_after = Pt(0)


def _title(document: DocxDocument) -> None:
    title = document.add_paragraph("Provider Direct access code", style="Title")
    set_paragraph_border(title, bottom=(24, "0B0C0C"))
    title.paragraph_format.space_after = Pt(8)
    intro = document.add_paragraph(wording.INTRO)
    intro.paragraph_format.space_after = Pt(6)


def _notice(document: DocxDocument, reissue_reason: str) -> None:
    notice = document.add_paragraph()
    notice.add_run("This is a reissued code. ").bold = True
    notice.add_run(wording.reissue_notice(reissue_reason))
    set_paragraph_border(notice, left=(36, RULE))
    notice.paragraph_format.left_indent = Cm(0.3)
    notice.paragraph_format.space_after = Pt(6)


def _put_details(section: list[BaseOxmlElement], content: DocumentContent) -> None:
    values = (
        f"{content.provider_name} (ref {content.provider_ref})",
        content.prime_text,
        content.cycle_text,
        f"{content.active_from_text} (UK time)",
        f"{content.active_until_text} (UK time)",
        f"{content.document_ref} · {content.issued_text}",
    )
    for (_, value_cell), value in zip(_cells(section), values, strict=True):
        run = _words(value_cell)
        run.text = value
        if len(value) > LONG_DETAIL:
            run.get_or_add_rPr().sz_val = Pt(8)


def _details_table(document: DocxDocument) -> None:
    table = document.add_table(rows=len(DETAILS), cols=2)
    table.autofit = False
    set_column_widths(table, [Cm(4.2), Cm(12.8)])
    set_table_borders(table, top=(4, RULE), bottom=(4, RULE), insideH=(4, RULE))
    set_cell_margins(table, left=0, right=113)  # text and rules line up with the margin
    for row, key in zip(table.rows, DETAILS, strict=True):
        key_cell, value_cell = row.cells
        _cell_text(key_cell, key, bold=True)
        _cell_text(value_cell, "")


def _put_code(section: list[BaseOxmlElement], code: str) -> None:
    characters, _ = _cells(section)
    for character, cell in zip(code, characters, strict=True):
        _words(cell).text = character


def _code_section(document: DocxDocument, length: int) -> None:
    document.add_paragraph("Your access code", style="Heading 1")
    document.add_paragraph(wording.CODE_INTRO)
    table = document.add_table(rows=2, cols=length)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_column_widths(table, [Length(min(CELL, Cm(17) // length))] * length)
    set_table_caption(table, CODE_TABLE_CAPTION, wording.CODE_TABLE_DESCRIPTION)
    frame = (18, "0B0C0C")
    set_table_borders(table, top=frame, bottom=frame, left=frame, right=frame, insideV=frame)
    for position, (char_cell, number_cell) in enumerate(
        zip(table.rows[0].cells, table.rows[1].cells, strict=True), start=1
    ):
        paragraph = _cell_text(char_cell, "", align=WD_ALIGN_PARAGRAPH.CENTER)
        run = paragraph.runs[0]
        set_font(run._r.get_or_add_rPr(), CODE_FONT)
        run.font.size = Pt(34)
        run.bold = True
        paragraph.paragraph_format.space_before = Pt(4)
        paragraph.paragraph_format.space_after = Pt(4)
        number = _cell_text(number_cell, str(position), align=WD_ALIGN_PARAGRAPH.CENTER)
        number.runs[0].font.size = Pt(9)
        number.runs[0].font.color.rgb = GREY
        set_cell_shading(number_cell, PALE)
        set_cell_borders(number_cell, top=(4, RULE))


def _put_spelling(section: list[BaseOxmlElement], code: str) -> None:
    rows = _cells(section)
    half = len(rows)
    for index, character in enumerate(code):
        cell = rows[index % half][index // half]
        cell.p_lst[0].add_r().text = spell_character(character)


def _spelling_section(document: DocxDocument, length: int) -> None:
    document.add_paragraph("The code spelt out", style="Heading 2")
    half = (length + 1) // 2
    table = document.add_table(rows=half, cols=2)
    table.autofit = False
    set_column_widths(table, [Cm(8.5), Cm(8.5)])
    set_cell_margins(table, left=0, right=113)
    for index in range(length):
        cell = table.rows[index % half].cells[index // half]
        _cell_text(cell, f"{index + 1}  ", bold=True, padding=Pt(1))


def _rules(document: DocxDocument) -> None:
    document.add_paragraph("Keeping the code secure", style="Heading 1")
    for rule in wording.HANDLING_RULES:
        document.add_paragraph(rule, style="List Bullet")
    document.add_paragraph("When you must tell the security team", style="Heading 2")
    document.add_paragraph(wording.REPORT_INTRO)
    for reason in wording.REPORT_REASONS:
        document.add_paragraph(reason, style="List Bullet")
    document.add_paragraph(wording.REPORT_OUTRO)
    small = document.add_paragraph(wording.NO_REPORT_NEEDED)
    small.runs[0].font.color.rgb = GREY
    small.runs[0].font.size = Pt(9)


def _cells(section: list[BaseOxmlElement]) -> list[list[CT_Tc]]:
    """The cells of the section's table, row by row (none are merged)."""
    (table,) = [element for element in section if isinstance(element, CT_Tbl)]
    return [row.tc_lst for row in table.tr_lst]


def _words(cell: CT_Tc) -> CT_R:
    """The run that the section left empty for this document's words."""
    run: CT_R = cell.p_lst[0].r_lst[0]
    return run


def _cell_text(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    padding: Length = CELL_PADDING,
) -> Paragraph:
    paragraph: Paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    paragraph.paragraph_format.space_before = padding
    paragraph.paragraph_format.space_after = padding
    if align is not None:
        paragraph.alignment = align
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    return paragraph
