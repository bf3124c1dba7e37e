"""A QR code as inline SVG (segno), for an authenticator app to scan.

Inline, so the key never leaves the page as a separate image request; it is hidden
from screen readers, which are given the same key as text beside it.
"""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(data: str) -> Markup:
    svg = segno.make(data, error="m").svg_inline(scale=4, border=4, dark="#0b0c0c", light="#ffffff")
    return Markup('<div class="app-qr" aria-hidden="true">{}</div>').format(Markup(svg))  # noqa: S704 (segno's own SVG)
