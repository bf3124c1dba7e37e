"""Static files: GOV.UK Frontend's assets (installed by npm at setup) and our own."""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles

from codeservice.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parents[2]
GOVUK_FRONTEND_DIST = REPO_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
OWN_STATIC = Path(__file__).resolve().parent / "static"
ASSET_PATH = "/assets"
STATIC_PATH = "/static"
_REQUIRED = ("govuk-frontend.min.css", "govuk-frontend.min.js", "assets/fonts", "assets/images")


class GovukAssets(StaticFiles):
    """``/assets/``: the compiled CSS and JS, plus the fonts and images they refer to.

    The CSS asks for ``/assets/fonts/...`` and ``/assets/images/...`` while the files
    sit in ``dist/govuk/assets/``; serving both folders under one prefix keeps the
    package's own paths working without copying anything.
    """

    def __init__(self, dist: Path) -> None:
        super().__init__(directory=dist / "assets")
        self.all_directories = [dist / "assets", dist]


def govuk_assets(dist: Path = GOVUK_FRONTEND_DIST) -> GovukAssets:
    missing = [name for name in _REQUIRED if not (dist / name).exists()]
    if missing:
        raise ConfigurationError(
            f"GOV.UK Frontend is not installed: {dist / missing[0]} is missing; "
            "run `make setup` (it runs `npm install`) in the project folder"
        )
    return GovukAssets(dist)


def own_static() -> StaticFiles:
    return StaticFiles(directory=OWN_STATIC)
