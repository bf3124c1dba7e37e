"""Saving a template's documents: the parts no document changes are compressed once.

python-docx's ``save`` compresses every part of the package again for each document,
though only the body (``word/document.xml``) and the properties (``docProps/core.xml``)
differ from one provider's document to the next; the styles alone are 350 kB of XML,
and compressing them took a third of a document's build. ``PackageSaver`` keeps the
other parts as a zip of their own, made at the first save, and each save appends the
two parts that change to a copy of it (``zipfile``'s append mode). It checks every
other part against what it zipped, byte for byte, and saves the whole package afresh
should one differ, so the result never depends on what it cached.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from docx.document import Document as DocxDocument
from docx.opc.package import OpcPackage
from docx.opc.pkgwriter import _ContentTypesItem

# The parts that differ in each document: appended to the zip of the others.
CHANGING = ("word/document.xml", "docProps/core.xml")


def members(package: OpcPackage) -> dict[str, bytes]:
    """What python-docx's ``save`` writes, member by member (name in the zip: bytes)."""
    parts = package.parts
    for part in parts:
        part.before_marshal()  # type: ignore[no-untyped-call]  # as ``save`` does
    content_types = _ContentTypesItem.from_parts(parts)  # type: ignore[no-untyped-call]
    written = {
        "[Content_Types].xml": content_types.blob,
        "_rels/.rels": package.rels.xml,
    }
    for part in parts:
        written[part.partname.membername] = part.blob
        if len(part.rels):
            written[part.partname.rels_uri.membername] = part.rels.xml
    return written


@dataclass
class PackageSaver:
    """Saves documents that differ only in ``CHANGING`` from the first one it saved."""

    unchanging: dict[str, bytes] = field(default_factory=dict)  # as zipped below
    zipped: bytes = b""

    def save(self, document: DocxDocument) -> bytes:
        written = members(document.part.package)
        changing = {name: written.pop(name, None) for name in CHANGING}
        if not self.zipped:
            self.unchanging, self.zipped = written, _zip(written)
        if written != self.unchanging or None in changing.values():
            return _save(document)  # not the template's package: nothing reused
        output = io.BytesIO()
        output.write(self.zipped)
        with zipfile.ZipFile(output, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, blob in changing.items():
                assert blob is not None
                archive.writestr(name, blob)
        return output.getvalue()


def _zip(written: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, blob in written.items():
            archive.writestr(name, blob)
    return output.getvalue()


def _save(document: DocxDocument) -> bytes:
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()
