"""Jinja2 with the GOV.UK Frontend macros, and the one way pages are rendered."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    TemplateError,
    select_autoescape,
)
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from codeservice.domain.wording import noun, plural
from codeservice.web.assets import ASSET_PATH, STATIC_PATH
from codeservice.web.csrf import FIELD_NAME as CSRF_FIELD
from codeservice.web.csrf import Csrf

SERVICE_NAME = "Provider Direct access codes"
TEMPLATES = Path(__file__).resolve().parent / "templates"

# GOV.UK Frontend's page template marks the body with an inline script. Our CSP allows
# no inline script (no 'unsafe-inline', nonce or hash), so the same code is loaded from
# a file instead. Only that one element is changed.
_INLINE_BODY_SCRIPT = re.compile(
    r"<script[^>]*>document\.body\.className \+= ' js-enabled'.*?</script>", re.DOTALL
)
_BODY_SCRIPT_FILE = f'<script src="{STATIC_PATH}/js-enabled.js"></script>'


class _GovukFrontendLoader(BaseLoader):
    def __init__(self) -> None:
        self._package = PackageLoader("govuk_frontend_jinja")

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self._package.get_source(environment, template)
        if template == "template.html":
            source, count = _INLINE_BODY_SCRIPT.subn(_BODY_SCRIPT_FILE, source)
            if count != 1:
                raise TemplateError(
                    "govuk_frontend_jinja/template.html no longer has the inline script "
                    "codeservice replaces; check the package version"
                )
        return source, filename, uptodate


def make_environment() -> Environment:
    environment = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES),
                PrefixLoader({"govuk_frontend_jinja": _GovukFrontendLoader()}),
            ]
        ),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        assetPath=ASSET_PATH,
        staticPath=STATIC_PATH,
        serviceName=SERVICE_NAME,
        plural=plural,  # {{ plural(n, 'code') }}: '1 code', '2 codes'
        noun=noun,
    )
    return environment


class Pages:
    """Renders a template into an HTML response, with a CSRF field when the page asks.

    A template calls ``csrf_input(action)`` inside a form sent to ``action``, or
    ``csrf_input()`` in one sent back to the page's own path; only then is the ``csrf``
    cookie set, so pages without forms set no cookie at all.
    """

    def __init__(self, environment: Environment, csrf: Csrf) -> None:
        self.environment = environment
        self.csrf = csrf

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        wants_cookie = False

        def csrf_input(action: str | None = None) -> Markup:
            nonlocal wants_cookie
            wants_cookie = True
            value = self.csrf.field_value(request, action)
            return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, value)

        html = self.environment.get_template(name).render(
            {**(context or {}), "csrf_input": csrf_input}
        )
        response = HTMLResponse(html, status_code=status_code)
        if wants_cookie:
            self.csrf.set_cookie(request, response)
        return response
