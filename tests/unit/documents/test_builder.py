from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import pytest
from docx import Document
from docx.shared import Pt
from hypothesis import given, settings
from hypothesis import strategies as st

from codeservice.documents import DocumentError, build_document, read_access_code
from codeservice.documents.builder import CODE_FONT, CODE_TABLE_CAPTION
from codeservice.documents.ooxml import table_caption
from codeservice.documents.template import MARKING
from codeservice.errors import CodeserviceError
from tests.support.documents import LONGEST, SAMPLE, sample_content

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


@pytest.fixture(scope="module")
def docx() -> bytes:
    return build_document(SAMPLE)


def _text(docx: bytes) -> str:
    document = Document(io.BytesIO(docx))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def test_the_code_reads_back_from_the_document(docx: bytes) -> None:
    assert read_access_code(docx) == "Km7pQ2xR"


@settings(max_examples=15, deadline=None)
@given(st.text(alphabet=CODE_ALPHABET, min_size=8, max_size=8))
def test_any_code_reads_back_exactly(code: str) -> None:
    assert read_access_code(build_document(sample_content(access_code=code))) == code


def test_the_document_says_who_it_is_for_and_when_it_is_valid(docx: bytes) -> None:
    text = _text(docx)
    for expected in (
        "Provider Direct access code",
        "Northgate Employment Services Ltd (ref PRV001)",
        "Maximum Prime Contracts plc",
        "April 2027 (cycle 2027-04)",
        "Monday 5 April 2027 at 00:00 (UK time)",
        "Monday 3 May 2027 at 00:00 (UK time)",
        "PDAC-2027-04-PRV001-1 · Issued Wednesday 31 March 2027",
    ):
        assert expected in text
    assert "reissue" not in text.lower()


def test_a_prime_provider_is_told_it_is_the_prime() -> None:
    text = _text(build_document(sample_content(prime_name=None)))
    assert "Northgate Employment Services Ltd is the prime provider" in text


def test_the_code_is_large_monospaced_with_positions_under_it(docx: bytes) -> None:
    document = Document(io.BytesIO(docx))
    (table,) = [t for t in document.tables if table_caption(t) == CODE_TABLE_CAPTION]
    characters, positions = table.rows
    assert [cell.text for cell in characters.cells] == list("Km7pQ2xR")
    assert [cell.text for cell in positions.cells] == [str(n) for n in range(1, 9)]
    for cell in characters.cells:
        run = cell.paragraphs[0].runs[0]
        assert run.font.name == CODE_FONT
        assert run.font.size is not None and run.font.size >= Pt(28)
        assert run.bold


def test_the_code_is_spelt_out_with_its_case(docx: bytes) -> None:
    text = _text(docx)
    for line in (
        "1  capital K for Kilo",
        "2  lower-case m for Mike",
        "3  digit 7 (seven)",
        "8  capital R for Romeo",
    ):
        assert line in text


def test_the_handling_rules_are_on_the_document(docx: bytes) -> None:
    text = _text(docx).lower()
    for rule in (
        "share the code only with authorised people",  # §46
        "in a secure manner",
        "three characters by their position",  # §22
        "never ask for the whole code",
        "never send the code by email",
        "never write it down",
        "potential security incident proforma (annex b)",  # §48-49
        "leaves without giving notice",
        "pending disciplinary procedures",
        "dismissed",
        "fraudulent activity",
        "ceases trading",
        "ends its subcontractor relationship",
        "could lead to a security breach",
        "do not include personal details",
    ):
        assert rule in text, rule


def test_a_reissue_says_so_and_why() -> None:
    content = sample_content(reissue_reason="Replaced after a reported security incident")
    text = _text(build_document(content))
    assert "Issued Wednesday 31 March 2027 · reissue" in text
    assert "This is a reissued code. Replaced after a reported security incident." in text
    assert "no longer works" in text


def test_the_page_is_a4_portrait() -> None:
    document = Document(io.BytesIO(build_document(LONGEST)))
    (section,) = document.sections
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_the_code_is_nowhere_but_the_body(docx: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        for name in package.namelist():
            if name == "word/document.xml":
                continue
            content = package.read(name)
            assert b"Km7pQ2xR" not in content, name
    properties = Document(io.BytesIO(docx)).core_properties
    for value in (
        properties.title,
        properties.subject,
        properties.keywords,
        properties.comments,
        properties.category,
        properties.identifier,
        properties.author,
    ):
        assert "Km7pQ2xR" not in (value or "")
    assert properties.title == (
        "Provider Direct access code: Northgate Employment Services Ltd, April 2027"
    )


def test_header_and_footer_hold_only_the_protective_marking(docx: bytes) -> None:
    section = Document(io.BytesIO(docx)).sections[0]
    assert section.header.paragraphs[0].text == MARKING
    assert section.footer.paragraphs[0].text == MARKING
    assert [p.text for p in section.header.paragraphs if p.text] == [MARKING]
    assert [p.text for p in section.footer.paragraphs if p.text] == [MARKING]


def test_no_preview_image_of_some_other_document_is_shipped(docx: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        assert not [name for name in package.namelist() if "thumbnail" in name]


def test_building_is_deterministic_apart_from_zip_timestamps() -> None:
    first, second = build_document(SAMPLE), build_document(replace(SAMPLE))
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_something_that_is_not_a_document_is_refused_clearly() -> None:
    with pytest.raises(DocumentError) as raised:
        read_access_code(b"not a word document")
    assert isinstance(raised.value, CodeserviceError)


def test_a_document_without_a_code_table_is_refused_clearly() -> None:
    empty = io.BytesIO()
    Document().save(empty)
    with pytest.raises(DocumentError, match="no access code table"):
        read_access_code(empty.getvalue())
