"""The build step pyproject.toml cannot express: what the wheel copies in.

A wheel must run on a host without the checkout, so the build copies into the package
the default settings (``config/codeservice.toml`` to ``codeservice/defaults/``) and
GOV.UK Frontend's compiled assets, installed by npm (``node_modules/govuk-frontend/
dist/govuk`` to ``codeservice/web/govuk_frontend/``). Neither copy is committed.
It also builds the document password hash's C extension (``_spin.c``, OpenSSL's
SHA-512), optional: without a compiler or libssl-dev, a pure-Python loop runs instead.
The metadata stays in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
GOVUK = HERE / "node_modules" / "govuk-frontend"
# (source in the checkout, target in the package, what to copy from a folder)
COPIES = [
    (HERE / "config" / "codeservice.toml", "codeservice/defaults/codeservice.toml", ()),
    (
        GOVUK / "dist" / "govuk",
        "codeservice/web/govuk_frontend",
        ("govuk-frontend.min.css", "govuk-frontend.min.js", "assets"),
    ),
]


class BuildPy(build_py):
    """``build_py``, then the copies; an editable install reads the checkout instead."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target, names in COPIES:
            if not source.exists():
                raise SystemExit(
                    f"cannot build: {source} is missing; run `make setup` "
                    "(it runs `npm install`) in the project folder first"
                )
            destination = Path(self.build_lib) / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            if not names:
                shutil.copyfile(source, destination)
                continue
            shutil.rmtree(destination, ignore_errors=True)  # nothing left from an older copy
            destination.mkdir()
            for name in names:
                if (source / name).is_dir():
                    shutil.copytree(source / name, destination / name)
                else:
                    shutil.copyfile(source / name, destination / name)


setup(
    cmdclass={"build_py": BuildPy},
    ext_modules=[
        Extension(
            "codeservice.documents._spin",
            sources=["codeservice/documents/_spin.c"],
            libraries=["crypto"],
            optional=True,  # without a compiler or libssl-dev, spin.py's fallback runs
        )
    ],
)
