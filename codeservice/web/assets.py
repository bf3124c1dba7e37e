"""Static files: GOV.UK Frontend's assets and our own.

GOV.UK Frontend comes from npm: an installed wheel carries a copy of its compiled
assets (``codeservice/web/govuk_frontend``, copied by setup.py at build time); a
checkout serves them from ``node_modules`` (``make setup`` runs ``npm install``).
"""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles

from codeservice.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGED_GOVUK_FRONTEND = Path(__file__).resolve().parent / "govuk_frontend"
CHECKOUT_GOVUK_FRONTEND = REPO_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
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


def govuk_frontend_dist() -> Path:
    """The package's own copy when there is one (an installed wheel), else the checkout's."""
    if all((PACKAGED_GOVUK_FRONTEND / name).exists() for name in _REQUIRED):
        return PACKAGED_GOVUK_FRONTEND
    return CHECKOUT_GOVUK_FRONTEND


def govuk_assets(dist: Path | None = None) -> GovukAssets:
    dist = govuk_frontend_dist() if dist is None else dist
    missing = [name for name in _REQUIRED if not (dist / name).exists()]
    if missing:
        raise ConfigurationError(
            f"GOV.UK Frontend is not installed: {dist / missing[0]} is missing; "
            "run `make setup` (it runs `npm install`) in the project folder, or install "
            "a wheel built after it"
        )
    return GovukAssets(dist)


def own_static() -> StaticFiles:
    return StaticFiles(directory=OWN_STATIC)
