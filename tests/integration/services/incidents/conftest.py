"""The incident tests' world: a register and April's codes, during April."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from codeservice.bootstrap import Container
from tests.integration.services.incidents.support import (
    live,  # noqa: F401 (a fixture)
)
from tests.integration.services.test_reissue import (
    APRIL,
    DURING_APRIL,
    World,
    make_world,
)


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    made, built = make_world(container, datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    made.issue(APRIL)
    made.clock.now = DURING_APRIL
    yield made
    built.close()
