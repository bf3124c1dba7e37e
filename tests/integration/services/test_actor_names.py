"""Actor ids from the audit trail, named as people know them."""

from __future__ import annotations

from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.services.staff.actors import actor_names
from codeservice.storage.models import Spoc
from tests.integration.web.staff import make_staff
from tests.support.dashboard import import_example_register


def test_staff_and_spocs_are_named_and_the_rest_worded(container: Container) -> None:
    import_example_register(container)
    make_staff(container, "jo.bloggs", Role.AGENT, display_name="Jo Bloggs")
    make_staff(container, "kim", Role.AGENT)
    with container.uow() as uow:
        spoc = uow.session.scalars(select(Spoc).order_by(Spoc.id)).first()
        assert spoc is not None
        spoc_id, spoc_label = spoc.id, f"{spoc.name} ({spoc.email}), SPoC"
        names = actor_names(
            uow,
            [
                "user:jo.bloggs",
                "user:kim",
                "user:gone",
                f"spoc:{spoc_id}",
                "spoc:999999",
                "token:helpline-crm",
                "cli:root",
                None,
            ],
        )
    assert names == {
        "user:jo.bloggs": "Jo Bloggs",
        "user:kim": "kim",
        "user:gone": "gone",
        f"spoc:{spoc_id}": spoc_label,
        "spoc:999999": "a SPoC no longer on the register",
        "token:helpline-crm": "API token helpline-crm",
        "cli:root": "root (command line)",
    }
