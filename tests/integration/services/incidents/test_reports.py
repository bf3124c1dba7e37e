"""A proforma received by email, entered by the security team."""

from __future__ import annotations

import pytest

from codeservice.domain.incidents import InvalidReport
from codeservice.errors import InputError, NotFound
from codeservice.services.incidents.views import get_report, list_reports
from tests.integration.services.incidents.support import ACTOR, record
from tests.integration.services.test_reissue import (
    World,
)

# --- entered by the security team ---------------------------------------------------


def test_the_security_team_records_a_proforma_received_by_email(world: World) -> None:
    first = record(world)
    second = record(world, subcontractor="Riverside Community Trust", reason="subcontractor-ended")
    assert (first, second) == ("INC-2027-0001", "INC-2027-0002")
    with world.container.read_uow() as uow:
        view = get_report(uow, "inc-2027-0002")
    assert (view.subcontractor, view.source, view.reported_by) == (
        "Riverside Community Trust",
        "security-team",
        ACTOR,
    )
    assert len(world.emails("incident-received")) == 2


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"details": "Call her on 07700 900123"}, InvalidReport, "remove the phone number"),
        ({"details": "ann@example.org left"}, InvalidReport, "remove the email address"),
        ({"change_date": "12/04/2027"}, InvalidReport, "must be a real date"),
        ({"change_date": "2027-05-01"}, InvalidReport, "must be today or in the past"),
        ({"reason": "resigned"}, InvalidReport, "Select the reason"),
        ({"provider_ref": "SUB101"}, InputError, "record the report against PRV001"),
        ({"provider_ref": "PRV999"}, NotFound, "no provider"),
    ],
)
def test_a_bad_proforma_is_refused(
    world: World, changes: dict[str, str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        record(world, **changes)
    with world.container.read_uow() as uow:
        assert list_reports(uow) == []
