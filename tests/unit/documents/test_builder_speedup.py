"""The work kept between builds (a styled template per thread, sections built once and
copied, styles saved as read) leaves every document as if it had been built on its own."""

from __future__ import annotations

import io
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml

from codeservice.documents import DocumentContent, build_document, read_access_code
from codeservice.documents.ooxml import open_with_finished_styles
from codeservice.documents.package import PackageSaver
from codeservice.documents.template import thread_template
from tests.support.documents import LONGEST, SAMPLE, sample_content

ODD_LENGTH = sample_content(access_code="ab3", prime_name=None)
LONG_CODE = sample_content(access_code="ABCDEFGHJKLMNPQRSTUVW")


def _parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        return {name: package.read(name) for name in package.namelist()}


def _built_in_a_new_thread(content: DocumentContent) -> bytes:
    built: list[bytes] = []
    worker = threading.Thread(target=lambda: built.append(build_document(content)))
    worker.start()
    worker.join()
    return built[0]


def test_a_document_is_the_same_whatever_was_built_before_it() -> None:
    first = build_document(SAMPLE)
    for other in (LONGEST, ODD_LENGTH, LONG_CODE):
        build_document(other)
    assert _parts(build_document(SAMPLE)) == _parts(first)


def test_a_thread_building_its_first_document_builds_the_same_one() -> None:
    for content in (SAMPLE, LONGEST, ODD_LENGTH):
        assert _parts(_built_in_a_new_thread(content)) == _parts(build_document(content))


def test_threads_building_at_once_each_get_their_own_document() -> None:
    contents = [sample_content(access_code=f"Km7p{n:04}") for n in range(12)]
    expected = [_parts(build_document(content)) for content in contents]
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = list(pool.map(build_document, contents))
    assert [_parts(docx) for docx in built] == expected
    assert [read_access_code(docx) for docx in built] == [c.access_code for c in contents]


def test_the_cell_an_odd_length_code_leaves_empty_is_as_wide_as_the_others() -> None:
    spelling = Document(io.BytesIO(build_document(ODD_LENGTH))).tables[-1]
    assert [cell.text for cell in spelling.rows[-1].cells] == ["2  lower-case b for Bravo", ""]
    widths = {cell.width for row in spelling.rows for cell in row.cells}
    assert widths == {spelling.columns[0].width}
    assert round(spelling.columns[0].width.cm, 2) == 8.5


def test_building_leaves_the_styles_as_they_are_saved() -> None:
    """They are written as read when the template was prepared: a change would be lost."""
    for content in (SAMPLE, LONGEST, ODD_LENGTH):
        build_document(content)
    styles = thread_template().document.part.part_related_by(RT.STYLES)
    assert serialize_part_xml(styles.element) == styles.blob  # type: ignore[attr-defined]


def test_a_document_with_finished_styles_saves_them_as_read_and_the_rest_as_changed() -> None:
    original = io.BytesIO()
    Document().save(original)
    document = open_with_finished_styles(original.getvalue())
    document.add_paragraph("Added after opening")
    saved = io.BytesIO()
    document.save(saved)
    assert (
        _parts(saved.getvalue())["word/styles.xml"]
        == _parts(original.getvalue())["word/styles.xml"]
    )
    reopened = Document(io.BytesIO(saved.getvalue()))
    assert [paragraph.text for paragraph in reopened.paragraphs] == ["Added after opening"]
    assert reopened.styles["Heading 1"].style_id == "Heading1"


def test_a_document_saved_from_the_zip_of_unchanging_parts_has_what_python_docx_saves() -> None:
    """Every member, byte for byte, as ``document.save`` writes it (in another order)."""
    for content in (SAMPLE, LONGEST, ODD_LENGTH, SAMPLE):
        built = build_document(content)
        saved = io.BytesIO()
        thread_template().document.save(saved)
        assert _parts(built) == _parts(saved.getvalue())
        with zipfile.ZipFile(io.BytesIO(built)) as package:
            assert package.testzip() is None


def test_a_package_whose_unchanging_parts_changed_is_saved_whole() -> None:
    saver = PackageSaver()
    document = Document()
    document.add_paragraph("first")
    saver.save(document)
    document.sections[0].header.paragraphs[0].text = "a header the zip does not have"
    document.add_paragraph("second")
    saved = saver.save(document)
    reopened = Document(io.BytesIO(saved))
    assert reopened.sections[0].header.paragraphs[0].text == "a header the zip does not have"
    assert [paragraph.text for paragraph in reopened.paragraphs] == ["first", "second"]
