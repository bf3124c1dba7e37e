"""The scheduler tests here count the monthly jobs, run by run: the daily retention
purge is off for them (tests/integration/services/test_retention.py runs it)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_env(app_env: dict[str, str]) -> dict[str, str]:
    return {**app_env, "CODESERVICE_RETENTION_TIME": ""}
