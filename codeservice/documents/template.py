"""The styled, empty access-code document that each thread builds from (python-docx).

python-docx is slow at formatting (a style given by name is found by scanning all 164
styles, for example), and a rotation builds one document per provider. So each thread
keeps a template: the default document with the page, header, footer and styles set,
and each section as it was built the first time (for a code of that length), without
the provider's words.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt, RGBColor

from codeservice.documents.ooxml import (
    append_copies,
    open_with_finished_styles,
    set_font,
    set_language,
)
from codeservice.documents.package import PackageSaver

BODY_FONT = "Arial"  # LibreOffice shows it in the metric-compatible Liberation Sans
BLACK = RGBColor(0x0B, 0x0C, 0x0C)  # GOV.UK text colour
MARKING = "OFFICIAL-SENSITIVE"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# Adds paragraphs and tables to the end of a document, the same whenever called with the
# same numbers (the length of the code).
Section = Callable[..., None]


@dataclass
class Template:
    """The styled, empty document that every build in one thread starts from.

    Each build empties its body (the page settings stay) and sets every document
    property again, so nothing of one provider's document is left in the next. The
    styles are never changed after ``prepare``: they are saved as they were then.
    """

    document: DocxDocument
    sections: dict[tuple[Section, tuple[int, ...]], list[BaseOxmlElement]] = field(
        default_factory=dict
    )
    saver: PackageSaver = field(default_factory=PackageSaver)

    @classmethod
    def prepare(cls) -> Template:
        styled = Document()
        page_and_styles(styled)
        # The template's thumbnail shows a blank page: a preview that is not this document.
        package_rels = styled.part.package.rels
        for rel_id, rel in list(package_rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                package_rels.pop(rel_id)
        # Word 2010's second copy of the styles (438 kB of XML): Word and LibreOffice read
        # styles.xml, and later Words write no such part. Compressing it into every
        # document took a sixth of the document's CPU.
        document_rels = styled.part.rels
        for rel_id, rel in list(document_rels.items()):
            if rel.reltype == STYLES_WITH_EFFECTS:
                document_rels.pop(rel_id)
        saved = io.BytesIO()
        styled.save(saved)
        return cls(open_with_finished_styles(saved.getvalue()))

    def blank(self) -> DocxDocument:
        self.document.element.body.clear_content()
        return self.document

    def save(self) -> bytes:
        """The document as a .docx: only its body and properties are compressed again."""
        return self.saver.save(self.document)

    def add(self, section: Section, *numbers: int) -> list[BaseOxmlElement]:
        """Add the section to the document as it was built the first time; returns the
        paragraphs and tables added."""
        body = self.document.element.body
        prepared = self.sections.get((section, numbers))
        if prepared is not None:
            return append_copies(body, prepared)
        start = len(body.inner_content_elements)
        section(self.document, *numbers)
        added: list[BaseOxmlElement] = body.inner_content_elements[start:]
        self.sections[section, numbers] = [deepcopy(element) for element in added]
        return added


_thread = threading.local()


def thread_template() -> Template:
    """This thread's template, prepared on first use (documents are built in worker
    processes, and in the caller's thread for a reissue)."""
    template: Template | None = getattr(_thread, "template", None)
    if template is None:
        template = _thread.template = Template.prepare()
    return template


def page_and_styles(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(1.3)
    section.left_margin = section.right_margin = Cm(2.0)
    section.header_distance = section.footer_distance = Cm(0.7)
    for part, text in ((section.header, MARKING), (section.footer, MARKING)):
        paragraph = part.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold = True
        run.font.size = Pt(9)

    styles = document.styles
    normal = styles["Normal"]
    set_font(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.font.size = Pt(10)
    normal.font.color.rgb = BLACK
    set_language(normal.element.get_or_add_rPr(), "en-GB")
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.05
    for name, size, before, after in (
        ("Title", 22, 0, 2),
        ("Heading 1", 13, 7, 2),
        ("Heading 2", 11, 5, 2),
    ):
        style = styles[name]
        set_font(style.element.get_or_add_rPr(), BODY_FONT)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = BLACK
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = True
    bullets = styles["List Bullet"]
    bullets.paragraph_format.space_after = Pt(1)
