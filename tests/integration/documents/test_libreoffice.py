"""The encrypted document in real LibreOffice: it opens with the unlock code, and only then.

A PDF and a PNG of each rendering are left in ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codeservice.documents import DocumentContent, build_document, encrypt_document
from tests.support.documents import FULLEST, FULLEST_UNBROKEN, LONGEST, SAMPLE
from tests.support.libreoffice import (
    ARTIFACTS,
    open_with_libreoffice,
    pdf_page_count,
    pdf_to_png,
)

pytestmark = pytest.mark.slow

UNLOCK_CODE = "tq7-Vemb-Kc4w-Hh9z"


def _encrypted_file(folder: Path, content: DocumentContent) -> Path:
    path = folder / "access-code.docx"
    path.write_bytes(encrypt_document(build_document(content), UNLOCK_CODE))
    return path


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _encrypted_file(tmp_path_factory.mktemp("document"), SAMPLE)


def _render(document: Path, name: str) -> tuple[str, int, Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.unlink(missing_ok=True)
    result = open_with_libreoffice(document, UNLOCK_CODE, pdf_out=pdf)
    assert result.opened, result.error
    pdf_to_png(pdf, ARTIFACTS / f"{name}.png")
    assert pdf_page_count(pdf) == result.pages
    return result.text, result.pages, pdf


def test_libreoffice_opens_it_with_the_unlock_code_and_shows_the_code(document: Path) -> None:
    text, pages, _ = _render(document, "access-code-document")
    assert "\t".join(SAMPLE.access_code) in text  # one character per cell
    assert "capital K for Kilo" in text
    assert SAMPLE.provider_name in text
    assert "Monday 5 April 2027 at 00:00" in text
    assert "Monday 3 May 2027 at 00:00" in text
    assert pages == 1


@pytest.mark.parametrize(
    ("content", "name"),
    [
        pytest.param(LONGEST, "access-code-document-reissue", id="long names"),
        pytest.param(FULLEST, "access-code-document-fullest", id="the register's longest"),
        pytest.param(FULLEST_UNBROKEN, "access-code-document-unbroken", id="unbroken names"),
    ],
)
def test_the_fullest_document_still_fits_on_one_page(
    tmp_path: Path, content: DocumentContent, name: str
) -> None:
    text, pages, _ = _render(_encrypted_file(tmp_path, content), name)
    assert "\t".join(content.access_code) in text
    assert "reissue" in text
    assert pages == 1


@pytest.mark.parametrize(
    "password",
    [
        pytest.param(None, id="no unlock code"),
        pytest.param("tq7-Vemb-Kc4w-Hh9y", id="wrong unlock code"),
        pytest.param(UNLOCK_CODE.swapcase(), id="unlock code in the wrong case"),
    ],
)
def test_libreoffice_refuses_it_without_the_right_unlock_code(
    document: Path, password: str | None
) -> None:
    result = open_with_libreoffice(document, password)
    assert not result.opened
    assert result.text == ""
    assert result.error != "timed out"
