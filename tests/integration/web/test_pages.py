"""The foundation every page shares: headers, assets, error pages, /healthz."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container, bootstrap
from codeservice.errors import ConfigurationError, InputError
from codeservice.web import create_app
from codeservice.web.headers import CONTENT_SECURITY_POLICY
from tests.integration.web.links import make_ack_link
from tests.support.pages import assert_no_inline_code

SERVICE_NAME = "Provider Direct access codes"


def test_healthz_answers_without_a_database(tmp_path: Path) -> None:
    env = {
        "CODESERVICE_HOME": str(tmp_path / "var"),
        "CODESERVICE_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'none.db'}",
    }
    app = create_app(bootstrap(env))

    response = TestClient(app).get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not (tmp_path / "missing" / "none.db").exists()


def test_pages_carry_the_security_headers(web_container: Container, client: TestClient) -> None:
    link = make_ack_link(web_container)

    for path in (link.path, "/ack/" + "A" * 43, "/no-such-page"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in headers  # base_url is http here


def test_https_deployments_get_hsts_and_a_secure_csrf_cookie(
    app_env: dict[str, str], container: Container
) -> None:
    https = bootstrap({**app_env, "CODESERVICE_BASE_URL": "https://codes.example.gov.uk"})
    link = make_ack_link(https)
    client = TestClient(create_app(https), base_url="https://codes.example.gov.uk")

    page = client.get(link.path)

    assert page.headers["strict-transport-security"].startswith("max-age=")
    cookie = page.headers["set-cookie"].lower()
    assert "secure" in cookie
    https.close()


def test_the_csrf_cookie_is_http_only_and_same_site_strict(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)

    cookie = client.get(link.path).headers["set-cookie"]

    assert cookie.startswith("csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # http base_url: the browser would drop it
    assert link.token not in cookie


def test_pages_use_the_govuk_template_without_inline_code(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)

    html = client.get(link.path).text

    assert '<html lang="en" class="govuk-template">' in html
    assert SERVICE_NAME in html
    assert 'href="/assets/govuk-frontend.min.css"' in html
    assert '<script src="/static/js-enabled.js"></script>' in html
    assert '<script type="module" src="/static/init.js"></script>' in html
    assert "govuk-footer" in html
    assert "– Provider Direct access codes</title>" in html
    assert_no_inline_code(html)


def test_govuk_frontend_assets_are_served(client: TestClient) -> None:
    css = client.get("/assets/govuk-frontend.min.css")
    js = client.get("/assets/govuk-frontend.min.js")
    init = client.get("/static/init.js")

    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    fonts = re.findall(r"url\((/assets/[^)]+)\)", css.text)
    assert fonts
    for url in fonts:  # the CSS's own references resolve
        assert client.get(url).status_code == 200, url
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert "initAll" in js.text
    assert 'from "/assets/govuk-frontend.min.js"' in init.text
    assert client.get("/assets/images/favicon.ico").status_code == 200
    assert client.get("/assets/manifest.json").status_code == 200


def test_a_missing_govuk_frontend_says_to_run_make_setup(
    web_container: Container, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="run `make setup`"):
        create_app(web_container, govuk_frontend=tmp_path / "node_modules" / "nothing")


def _error_page_checks(response: object, status: int, title: str) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert f'<h1 class="govuk-heading-l">{title}</h1>' in html
    assert SERVICE_NAME in html
    assert "Traceback" not in html
    assert 'File "' not in html
    assert response.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    assert_no_inline_code(html)


def test_error_pages_are_govuk_pages(app: FastAPI, client: TestClient) -> None:
    def needs_a_number(n: int) -> dict[str, int]:
        return {"n": n}

    app.add_api_route("/needs-a-number", needs_a_number)

    _error_page_checks(client.get("/no-such-page"), 404, "Page not found")
    _error_page_checks(client.get("/assets/no-such-file.css"), 404, "Page not found")
    not_allowed = client.put("/ack/" + "A" * 43)
    _error_page_checks(not_allowed, 405, "This page cannot be used in that way")
    assert "GET" in not_allowed.headers["allow"]
    _error_page_checks(client.get("/needs-a-number?n=many"), 422, "There is a problem")
    _error_page_checks(client.post("/ack/" + "A" * 43), 400, "Your session expired")
    cross_site = client.post("/ack/" + "A" * 43, headers={"Origin": "https://evil.example"})
    _error_page_checks(cross_site, 403, "You cannot do that")


def test_an_unexpected_error_shows_the_500_page_and_logs_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    app = create_app(
        bootstrap(
            {
                "CODESERVICE_HOME": str(tmp_path / "var"),
                "CODESERVICE_DATABASE_URL": f"sqlite:///{broken}",
            }
        )
    )

    with caplog.at_level("INFO"):
        response = TestClient(app).get("/ack/" + "B" * 43)

    _error_page_checks(response, 500, "Sorry, there is a problem with the service")
    assert "DatabaseError" not in response.text
    [logged] = [r for r in caplog.records if r.name == "codeservice.web.error"]
    assert logged.exc_info is not None
    assert "/ack/…" in logged.getMessage()


def test_our_own_errors_become_pages_that_never_show_operator_detail(
    app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def misconfigured() -> None:
        raise ConfigurationError("/etc/codeservice/keys.json is missing")

    def bad_input() -> None:
        raise InputError("Enter a date in the form 31 3 2027")

    app.add_api_route("/misconfigured", misconfigured)
    app.add_api_route("/bad-input", bad_input)

    with caplog.at_level("INFO"):
        server_side = client.get("/misconfigured")
    visitor_side = client.get("/bad-input")

    _error_page_checks(server_side, 500, "Sorry, there is a problem with the service")
    assert "keys.json" not in server_side.text
    assert any("keys.json" in r.getMessage() for r in caplog.records)
    _error_page_checks(visitor_side, 422, "There is a problem")
    assert "Enter a date in the form 31 3 2027" in visitor_side.text
