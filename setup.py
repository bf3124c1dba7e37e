"""Only the optional C extension; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "codeservice.documents._spin",
            sources=["codeservice/documents/_spin.c"],
            libraries=["crypto"],
            optional=True,  # without a compiler or libssl-dev, spin.py's fallback runs
        )
    ]
)
