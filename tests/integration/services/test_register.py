from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.errors import InputError
from codeservice.services.register.apply import ImportSummary
from codeservice.services.register.providers import find_provider, list_register
from codeservice.storage.models import AuditRecord
from tests.support.register import import_register, import_register_file, register_snapshot

ROOT = Path(__file__).resolve().parents[3]
HEADER = "ref,name,prime_ref,spoc_name,spoc_email\n"
ONLY_ANN = HEADER + "PRV001,Northfield Ltd,,Ann Lee,ann.lee@example.org\n"
REGISTER = (
    HEADER
    + "PRV001,Northfield Ltd,,Ann Lee,ann.lee@example.org\n"
    + "PRV001,Northfield Ltd,,Bob Ray,bob.ray@example.org\n"
    + "PRV002,Harbourside Skills,,Cat Jones,cat@example.com\n"
    + "SUB101,Riverside Trust,PRV001,,\n"
    + "SUB201,Harbour Lights,PRV002,,\n"
)


def run_import(container: Container, text: str, *, prune: bool = False) -> ImportSummary:
    return import_register(container, text.encode(), "register.csv", prune=prune, actor="tester")


def state(container: Container) -> dict[str, Any]:
    """ref -> (name, prime ref, active, {email: (name, active)})."""
    with container.uow() as uow:
        providers = uow.register.all_providers()
        refs = {p.id: p.ref for p in providers}
        spocs = uow.register.all_spocs()
        return {
            p.ref: (
                p.name,
                refs.get(p.prime_id) if p.prime_id else None,
                p.active,
                {s.email: (s.name, s.active) for s in spocs if s.provider_id == p.id},
            )
            for p in providers
        }


def import_records(container: Container) -> list[tuple[str, str, str]]:
    """(actor, source, details) of each register import on the audit trail."""
    with container.uow() as uow:
        query = select(AuditRecord).where(AuditRecord.action == "register:import:apply")
        found = uow.session.scalars(query.order_by(AuditRecord.seq))
        return [(record.actor, record.source, record.details) for record in found]


def test_a_good_import_creates_the_register(container: Container) -> None:
    summary = run_import(container, REGISTER)

    assert summary.counts() == {
        "providers_added": 4,
        "providers_updated": 0,
        "providers_unchanged": 0,
        "providers_deactivated": 0,
        "providers_not_in_file": 0,
        "spocs_added": 3,
        "spocs_updated": 0,
        "spocs_unchanged": 0,
        "spocs_deactivated": 0,
    }
    assert state(container) == {
        "PRV001": (
            "Northfield Ltd",
            None,
            True,
            {"ann.lee@example.org": ("Ann Lee", True), "bob.ray@example.org": ("Bob Ray", True)},
        ),
        "PRV002": ("Harbourside Skills", None, True, {"cat@example.com": ("Cat Jones", True)}),
        "SUB101": ("Riverside Trust", "PRV001", True, {}),
        "SUB201": ("Harbour Lights", "PRV002", True, {}),
    }


def test_the_import_is_audited_once_without_personal_data(container: Container) -> None:
    summary = run_import(container, REGISTER)

    ((actor, source, details_text),) = import_records(container)
    details = json.loads(details_text)
    assert (actor, source) == ("tester", "cli")
    assert details["file"] == "register.csv"
    assert details["sha256"] == hashlib.sha256(REGISTER.encode()).hexdigest()
    assert details["providers_added"] == summary.providers_added == 4
    assert details["spocs_added"] == 3
    for personal in ("ann.lee", "Ann Lee", "example.org", "Northfield"):
        assert personal not in details_text


def test_importing_the_same_file_again_changes_nothing(container: Container) -> None:
    run_import(container, REGISTER)
    before = register_snapshot(container)

    summary = run_import(container, REGISTER)

    assert (summary.providers_added, summary.providers_updated) == (0, 0)
    assert (summary.providers_unchanged, summary.spocs_unchanged) == (4, 3)
    assert (summary.spocs_added, summary.spocs_updated) == (0, 0)
    after = register_snapshot(container)
    assert after["providers"] == before["providers"]
    assert after["spocs"] == before["spocs"]
    assert len(import_records(container)) == 2  # each applied import is on the record


def test_an_import_with_a_renamed_provider_updates_it(container: Container) -> None:
    run_import(container, REGISTER)
    renamed = REGISTER.replace("Northfield Ltd", "Northfield Employment Services Ltd")
    renamed = renamed.replace("Cat Jones,cat@", "Catherine Jones,cat@")

    summary = run_import(container, renamed)

    assert (summary.providers_updated, summary.providers_unchanged) == (1, 3)
    assert (summary.spocs_updated, summary.spocs_unchanged) == (1, 2)
    now = state(container)
    assert now["PRV001"][0] == "Northfield Employment Services Ltd"
    assert now["PRV002"][3] == {"cat@example.com": ("Catherine Jones", True)}


def test_a_spoc_is_matched_by_email_ignoring_case(container: Container) -> None:
    run_import(container, REGISTER)
    ids = [row[0] for row in register_snapshot(container)["spocs"]]

    summary = run_import(container, REGISTER.replace("ann.lee@", "Ann.Lee@"))

    assert (summary.spocs_added, summary.spocs_updated) == (0, 1)
    spocs = register_snapshot(container)["spocs"]
    assert [row[0] for row in spocs] == ids
    assert "Ann.Lee@example.org" in [row[3] for row in spocs]


def test_without_prune_providers_and_spocs_absent_from_the_file_stay(container: Container) -> None:
    run_import(container, REGISTER)

    summary = run_import(container, ONLY_ANN)

    assert (summary.providers_deactivated, summary.spocs_deactivated) == (0, 0)
    assert summary.providers_not_in_file == 3
    assert all(active for _name, _prime, active, _spocs in state(container).values())


def test_prune_deactivates_providers_and_spocs_absent_from_the_file(container: Container) -> None:
    run_import(container, REGISTER)
    rows_before = len(register_snapshot(container)["providers"])

    summary = run_import(container, ONLY_ANN, prune=True)

    assert (summary.providers_unchanged, summary.providers_deactivated) == (1, 3)
    assert (summary.spocs_unchanged, summary.spocs_deactivated) == (1, 2)
    now = state(container)
    assert len(now) == rows_before  # deactivated, never deleted
    assert now["PRV001"] == (
        "Northfield Ltd",
        None,
        True,
        {"ann.lee@example.org": ("Ann Lee", True), "bob.ray@example.org": ("Bob Ray", False)},
    )
    assert now["PRV002"][2] is False
    assert now["PRV002"][3] == {"cat@example.com": ("Cat Jones", False)}
    assert now["SUB101"][2] is False and now["SUB201"][2] is False


def test_importing_the_full_file_again_reactivates(container: Container) -> None:
    run_import(container, REGISTER)
    run_import(container, ONLY_ANN, prune=True)

    summary = run_import(container, REGISTER)

    assert (summary.providers_updated, summary.spocs_updated) == (3, 2)
    assert all(active for _name, _prime, active, _spocs in state(container).values())


def test_a_subcontractor_may_become_a_prime_and_move_between_primes(container: Container) -> None:
    run_import(container, REGISTER)
    moved = (
        REGISTER.replace("SUB201,Harbour Lights,PRV002,,", "SUB201,Harbour Lights,PRV001,,")
        + "SUB101,Riverside Trust,,Dee Kaur,dee@example.net\n"
    ).replace("SUB101,Riverside Trust,PRV001,,\n", "")

    summary = run_import(container, moved)

    assert summary.providers_updated == 2
    now = state(container)
    assert now["SUB101"] == ("Riverside Trust", None, True, {"dee@example.net": ("Dee Kaur", True)})
    assert now["SUB201"][1] == "PRV001"


def test_a_bad_file_changes_nothing_and_lists_every_problem(container: Container) -> None:
    run_import(container, REGISTER)
    before = register_snapshot(container)
    bad = (
        HEADER
        + "PRV001,Northfield Renamed,,Ann Lee,ann.lee@example.org\n"  # 2 fine on its own
        + "PRV003,New Prime,,Eve,not-an-email\n"  # 3
        + "SUB301,New Sub,PRV999,,\n"  # 4
        + "PRV004,Another\n"  # 5
    )

    with pytest.raises(InputError) as caught:
        run_import(container, bad, prune=True)

    assert [p.split(":")[1] for p in caught.value.problems] == ["3", "4", "5"]
    assert register_snapshot(container) == before


def test_a_file_that_is_not_utf8_changes_nothing(container: Container) -> None:
    before = register_snapshot(container)
    data = (HEADER + "PRV001,Caf\xe9 Ltd,,Ann,ann@example.org\n").encode("latin-1")

    with pytest.raises(InputError) as caught:
        import_register(container, data, "latin.csv", actor="tester")

    assert caught.value.problems[0].startswith("latin.csv:2: not UTF-8 text")
    assert register_snapshot(container) == before


def test_a_missing_file_is_an_input_error(container: Container, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        import_register_file(container, tmp_path / "nowhere.csv", actor="tester")


def test_the_sample_register_imports(container: Container) -> None:
    summary = import_register_file(
        container, ROOT / "config" / "providers.example.csv", actor="tester"
    )

    assert summary.providers_added >= 12
    assert summary.filename == "providers.example.csv"


def test_list_register_shows_each_prime_then_its_subcontractors(container: Container) -> None:
    run_import(container, REGISTER)
    run_import(container, REGISTER.replace("Bob Ray,bob.ray@example.org", "Bo,bo@example.org"))
    run_import(container, REGISTER.replace("SUB201,Harbour Lights,PRV002,,\n", ""), prune=True)

    with container.read_uow() as uow:
        views = list_register(uow)

    assert [(v.ref, v.prime_ref, v.subcontractors) for v in views] == [
        ("PRV001", None, ("SUB101",)),
        ("SUB101", "PRV001", ()),
        ("PRV002", None, ()),
    ]
    assert [s.email for s in views[0].spocs] == ["ann.lee@example.org", "bob.ray@example.org"]

    with container.read_uow() as uow:
        everything = list_register(uow, include_inactive=True)

    assert [(v.ref, v.active) for v in everything] == [
        ("PRV001", True),
        ("SUB101", True),
        ("PRV002", True),
        ("SUB201", False),
    ]
    assert [(s.email, s.active) for s in everything[0].spocs] == [
        ("ann.lee@example.org", True),
        ("bob.ray@example.org", True),
        ("bo@example.org", False),
    ]


def test_find_provider_by_ref_or_part_of_a_name(container: Container) -> None:
    run_import(container, REGISTER)

    with container.read_uow() as uow:
        assert [v.ref for v in find_provider(uow, "SUB101")] == ["SUB101"]
        assert [v.ref for v in find_provider(uow, "harbour")] == ["PRV002", "SUB201"]
        assert [v.ref for v in find_provider(uow, "prv00")] == ["PRV001", "PRV002"]
        assert find_provider(uow, "  ") == []
        assert find_provider(uow, "nobody") == []
