"""Who can be checked: primes, subcontractors through their prime, security plans."""

from __future__ import annotations

import pytest

from codeservice.domain.challenges import (
    NO_LONGER_ACTIVE,
    NOT_LISTED,
    PRIME_NOT_ACTIVE,
    AmbiguousProvider,
    NotEligible,
)
from codeservice.domain.security_plan import NO_SECURITY_PLAN, PRIME_NO_SECURITY_PLAN
from codeservice.services.helpline import (
    search_providers,
)
from tests.integration.services.helpline.support import (
    DURING_APRIL,
    REGISTER,
    World,
    audit_details,
    chars,
)
from tests.support.register import import_register

# --- eligibility --------------------------------------------------------------------


def test_a_subcontractors_challenge_checks_its_primes_code(world: World) -> None:
    view = world.start("Riverside")
    assert (view.provider_ref, view.prime_ref) == ("SUB101", "PRV001")
    assert view.provider_name == "Riverside Community Trust"
    assert world.answer(view, chars(world.code(), view.positions), DURING_APRIL) == "pass"


def test_inactive_and_unknown_organisations_are_refused(world: World) -> None:
    cases = {
        "PRV003": NO_LONGER_ACTIVE,
        "SUB102": NO_LONGER_ACTIVE,
        "SUB301": PRIME_NOT_ACTIVE,
        "Acme Widgets": NOT_LISTED,
    }
    for query, reason in cases.items():
        with pytest.raises(NotEligible) as raised:
            world.start(query)
        assert raised.value.reason == reason
        assert raised.value.code == "not_eligible"
    refused = audit_details(world.container, "helpline:challenge:refuse")
    assert [details["reason"] for _, details in refused] == list(cases.values())


def test_a_provider_without_an_approved_security_plan_is_refused_saying_why(
    world: World,
) -> None:
    """§17–18: PRV001's plan is received but not approved (the BMT imports the register
    again saying so): it and its subcontractor are refused, with that reason."""
    unapproved = REGISTER.replace(
        "ann.lee@example.org,2024-01-08,2024-02-05,", "ann.lee@example.org,2024-01-08,,"
    )
    assert unapproved != REGISTER
    import_register(world.container, unapproved.encode(), "register.csv", actor="tester")

    with pytest.raises(NotEligible) as raised:
        world.start("PRV001")
    assert raised.value.reason == NO_SECURITY_PLAN == "no approved security plan"
    assert str(raised.value).endswith("cannot use Provider Direct: no approved security plan")
    with pytest.raises(NotEligible) as raised:
        world.start("SUB101")
    assert raised.value.reason == PRIME_NO_SECURITY_PLAN
    refused = audit_details(world.container, "helpline:challenge:refuse")
    assert [details["reason"] for _, details in refused] == [
        NO_SECURITY_PLAN,
        PRIME_NO_SECURITY_PLAN,
    ]
    found = {view.ref: view for view in search_providers(world.container.read_uow, "PRV001")}
    assert not found["PRV001"].eligible and found["PRV001"].reason == NO_SECURITY_PLAN
    assert world.start("PRV002").provider_ref == "PRV002"  # the others are unaffected

    # Approved again: the helpline answers for it once more.
    import_register(world.container, REGISTER.encode(), "register.csv", actor="tester")
    assert world.start("PRV001").provider_ref == "PRV001"


def test_a_search_matching_several_organisations_asks_for_a_ref(world: World) -> None:
    with pytest.raises(AmbiguousProvider, match="PRV001"):
        world.start("PRV")


def test_search_shows_eligibility(world: World) -> None:
    found = {view.ref: view for view in search_providers(world.container.read_uow, "SUB")}
    assert found["SUB101"].eligible and found["SUB101"].prime_ref == "PRV001"
    assert found["SUB102"].reason == NO_LONGER_ACTIVE
    assert found["SUB301"].reason == PRIME_NOT_ACTIVE
    assert search_providers(world.container.read_uow, "nobody") == []
