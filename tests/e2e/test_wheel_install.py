"""A wheel installed on a host without the checkout: ``init``, then ``serve``.

The wheel is built from this checkout and installed into a fresh virtual environment
(pip fetches the dependencies); the service then runs from a folder outside the
checkout, with nothing copied from it: its default settings, templates and GOV.UK
Frontend's assets all come from the wheel.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import free_port, get, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _run(
    command: list[str | Path], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and tools
        [str(part) for part in command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_a_wheel_installed_in_a_fresh_venv_initialises_and_serves_the_govuk_pages(
    tmp_path: Path,
) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, ROOT])
    (wheel,) = dist.glob("codeservice-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", wheel])

    host = tmp_path / "host"  # the service's working folder: empty, not the checkout
    host.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CODESERVICE_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{venv / 'bin'}:{env.get('PATH', '')}",
        CODESERVICE_HOME=str(tmp_path / "home"),
        CODESERVICE_SMTP_PORT=str(free_port()),  # nobody listens: no mail is due
    )
    where = _run(
        [python, "-c", "import codeservice; print(codeservice.__file__)"], env=env, cwd=host
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the wheel's copy, not ours
    settings = _run(
        [
            python,
            "-c",
            "from codeservice.config import default_settings_file, load_settings;"
            "print(default_settings_file()); print(load_settings().smtp_port)",
        ],
        env=env,
        cwd=host,
    )
    defaults, smtp_port = settings.stdout.split()
    assert Path(defaults).is_relative_to(venv)  # the wheel's own defaults ...
    assert smtp_port == env["CODESERVICE_SMTP_PORT"]  # ... overridden by the environment

    init = _run([venv / "bin" / "codeservice", "init"], env=env, cwd=host)
    assert "Traceback" not in init.stdout + init.stderr
    assert (tmp_path / "home" / "codeservice.db").is_file()

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        serve = subprocess.Popen(  # noqa: S603 - the installed command
            [venv / "bin" / "codeservice", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=host,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:

        def up() -> bool:
            if serve.poll() is not None:
                pytest.fail(f"serve exited early:\n{log.read_text()}", pytrace=False)
            response = get(port, "/healthz")
            return response is not None and response.status_code == 200

        wait_until(up, "the installed service to answer /healthz")
        page = httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=10)
        assert page.status_code == 200
        stylesheets = re.findall(r'<link[^>]+href="(/assets/[^"]+\.css)"', page.text)
        assert "/assets/govuk-frontend.min.css" in stylesheets
        for path in (*stylesheets, "/assets/govuk-frontend.min.js", "/static/helpline.css"):
            asset = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert asset.status_code == 200, path
        css = httpx.get(f"http://127.0.0.1:{port}/assets/govuk-frontend.min.css", timeout=10)
        assert "text/css" in css.headers["content-type"]
        fonts = sorted(set(re.findall(r"url\((/assets/fonts/[^)]+\.woff2)\)", css.text)))
        assert fonts
        for font in fonts:  # the files the CSS asks for are in the wheel too
            assert httpx.get(f"http://127.0.0.1:{port}{font}", timeout=10).status_code == 200
    finally:
        serve.terminate()
        status = serve.wait(timeout=60)
    assert status == 0
    assert "Traceback" not in log.read_text()
