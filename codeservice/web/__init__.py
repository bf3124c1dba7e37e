"""The web app: GOV.UK-styled pages for SPoCs (and later staff)."""

from codeservice.web.app import create_app

__all__ = ["create_app"]
