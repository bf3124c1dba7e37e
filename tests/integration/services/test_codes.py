from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from random import Random

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from codeservice.bootstrap import Container
from codeservice.crypto.keyring import SealError
from codeservice.domain.audit import AuditTag
from codeservice.domain.codes import Alphabet, is_valid_access_code, is_valid_unlock_code
from codeservice.errors import Conflict
from codeservice.services.distribution.codes import (
    CodeMaterial,
    IssuedCode,
    draw_code_material,
    issue_access_code,
    reveal_access_code,
    reveal_unlock_code,
)
from codeservice.services.operations import audit
from codeservice.storage.models import AccessCode, Provider

CYCLE = "2027-04"
ISSUE_AT = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
ACTIVE_FROM = datetime(2027, 4, 4, 23, 0, tzinfo=UTC)
ACTIVE_UNTIL = datetime(2027, 5, 2, 23, 0, tzinfo=UTC)
ALPHABET = Alphabet.from_excluded("0Oo1lI")


def add_providers(container: Container, count: int) -> list[str]:
    refs = [f"PRV{number:04d}" for number in range(1, count + 1)]
    now = container.now()
    with container.uow() as uow:
        for ref in refs:
            uow.session.add(
                Provider(
                    ref=ref,
                    name=f"Provider {ref} Ltd",
                    security_plan_received_on=date(2024, 1, 8),
                    security_plan_approved_on=date(2024, 2, 5),
                    created_at=now,
                    updated_at=now,
                )
            )
        uow.commit()
    return refs


def issue(
    container: Container,
    ref: str,
    *,
    cycle: str = CYCLE,
    rng: Random | None = None,
    replaces: AccessCode | None = None,
    material: CodeMaterial | None = None,
) -> IssuedCode:
    with container.uow() as uow:
        provider = uow.register.get_provider(ref)
        assert provider is not None
        issued = issue_access_code(
            uow,
            container.keyring,
            provider=provider,
            cycle=cycle,
            issue_at=ISSUE_AT,
            active_from=ACTIVE_FROM,
            active_until=ACTIVE_UNTIL,
            now=ISSUE_AT,
            alphabet=ALPHABET,
            replaces=replaces,
            material=material,
            rng=rng,
        )
        uow.commit()
    return issued


def issue_for_all(container: Container, refs: list[str]) -> dict[str, IssuedCode]:
    issued: dict[str, IssuedCode] = {}
    with container.uow() as uow:
        for ref in refs:
            provider = uow.register.get_provider(ref)
            assert provider is not None
            issued[ref] = issue_access_code(
                uow,
                container.keyring,
                provider=provider,
                cycle=CYCLE,
                issue_at=ISSUE_AT,
                active_from=ACTIVE_FROM,
                active_until=ACTIVE_UNTIL,
                now=ISSUE_AT,
                alphabet=ALPHABET,
            )
            # Audited as the rotation does, so `audit verify` finds every code accounted for.
            audit.record(
                uow,
                container.keyring.audit_key,
                actor="test",
                action=AuditTag.CODE_ACCESS_ISSUE,
                source="test",
                details={"provider": ref, "document_ref": issued[ref].access_code.document_ref},
                now=ISSUE_AT,
            )
        uow.commit()
    return issued


def test_codes_for_many_providers_are_unique_and_reveal(container: Container) -> None:
    refs = add_providers(container, 50)

    issued = issue_for_all(container, refs)

    codes = [i.code for i in issued.values()]
    unlocks = [i.unlock_code for i in issued.values()]
    assert len(set(codes)) == 50 and len(set(unlocks)) == 50
    assert all(is_valid_access_code(code, ALPHABET) for code in codes)
    assert all(is_valid_unlock_code(unlock) for unlock in unlocks)
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(AccessCode).order_by(AccessCode.id)))
        assert len(rows) == 50
        assert len({row.fingerprint for row in rows}) == 50
        assert len({row.document_ref for row in rows}) == 50
        for row in rows:
            expected = issued[row.provider.ref]
            assert row.state == "issued"
            assert str(row.cycle) == CYCLE
            assert row.issued_at == ISSUE_AT
            assert row.active_from == ACTIVE_FROM and row.active_until == ACTIVE_UNTIL
            assert row.key_id == container.keyring.current_key_id
            assert row.fingerprint == container.keyring.fingerprint(expected.code)
            assert row.document_ref.startswith(f"PD-{CYCLE}-{row.provider.ref}-")
            assert expected.code.encode() not in row.sealed_code
            assert reveal_access_code(container.keyring, row) == expected.code
            assert reveal_unlock_code(container.keyring, row) == expected.unlock_code


def test_issued_code_repr_hides_the_secrets(container: Container) -> None:
    (ref,) = add_providers(container, 1)

    issued = issue(container, ref)

    assert issued.code not in repr(issued)
    assert issued.unlock_code not in repr(issued)


def test_a_code_used_before_is_drawn_again(container: Container) -> None:
    first_ref, second_ref = add_providers(container, 2)

    # The same seed makes the same first draw; the second must be refused as used.
    first = issue(container, first_ref, rng=Random(99))  # noqa: S311
    second = issue(container, second_ref, rng=Random(99))  # noqa: S311

    assert second.code != first.code
    assert is_valid_access_code(second.code, ALPHABET)


def test_a_second_live_code_for_a_provider_and_cycle_is_refused(container: Container) -> None:
    (ref,) = add_providers(container, 1)
    first = issue(container, ref)

    with pytest.raises(Conflict, match=f"{ref} already has an? .*{CYCLE}"):
        issue(container, ref)

    other_cycle = issue(container, ref, cycle="2027-05")
    assert str(other_cycle.access_code.cycle) == "2027-05"
    assert first.access_code.id != other_cycle.access_code.id


def _another_like(code: AccessCode, **changes: object) -> AccessCode:
    """A second issued row with ``code``'s values but for ``changes``, another document's."""
    return AccessCode(
        **{
            "provider_id": code.provider_id,
            "cycle": code.cycle,
            "state": "issued",
            "fingerprint": code.fingerprint,
            "sealed_code": code.sealed_code,
            "sealed_unlock": code.sealed_unlock,
            "key_id": code.key_id,
            "document_ref": "PD-other",
            "issued_at": code.issued_at,
            "active_from": code.active_from,
            "active_until": code.active_until,
            **changes,
        }
    )


def test_the_database_itself_refuses_a_second_live_code(container: Container) -> None:
    (ref,) = add_providers(container, 1)
    first = issue(container, ref).access_code

    with container.uow() as uow:
        uow.session.add(_another_like(first, fingerprint=b"\x01" * 32))
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_the_database_refuses_a_repeated_fingerprint(container: Container) -> None:
    first_ref, second_ref = add_providers(container, 2)
    first = issue(container, first_ref).access_code
    with container.uow() as uow:
        second_provider = uow.register.get_provider(second_ref)
        assert second_provider is not None
        second_provider_id = second_provider.id

    with container.uow() as uow:
        uow.session.add(_another_like(first, provider_id=second_provider_id, cycle=CYCLE))
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_a_revoked_code_can_be_replaced_in_the_same_cycle(container: Container) -> None:
    (ref,) = add_providers(container, 1)
    old = issue(container, ref)
    with container.uow() as uow:
        row = uow.session.get(AccessCode, old.access_code.id)
        assert row is not None
        row.state = "revoked"
        row.revoked_at = ISSUE_AT
        uow.commit()

    new = issue(container, ref, replaces=old.access_code)

    assert new.access_code.replaces_id == old.access_code.id
    assert new.code != old.code and new.unlock_code != old.unlock_code
    assert new.access_code.document_ref != old.access_code.document_ref


def test_a_sealed_code_moved_to_another_provider_does_not_open(container: Container) -> None:
    first_ref, second_ref = add_providers(container, 2)
    first = issue(container, first_ref).access_code
    second = issue(container, second_ref).access_code

    with container.uow() as uow:
        row = uow.session.get(AccessCode, second.id)
        assert row is not None
        row.sealed_code = first.sealed_code
        row.sealed_unlock = first.sealed_code  # and the code in the unlock slot
        uow.commit()
        with pytest.raises(SealError):
            reveal_access_code(container.keyring, row)
        with pytest.raises(SealError):
            reveal_unlock_code(container.keyring, row)


def test_a_code_for_a_cycle_that_has_ended_is_refused(container: Container) -> None:
    (ref,) = add_providers(container, 1)

    with container.uow() as uow:
        found = uow.register.get_provider(ref)
        assert found is not None
        with pytest.raises(Conflict, match="ended"):
            issue_access_code(
                uow,
                container.keyring,
                provider=found,
                cycle=CYCLE,
                issue_at=ISSUE_AT,
                active_from=ACTIVE_FROM,
                active_until=ACTIVE_UNTIL,
                now=ACTIVE_UNTIL,
                alphabet=ALPHABET,
            )


def test_the_configured_alphabet_is_used(container: Container) -> None:
    refs = add_providers(container, 20)
    alphabet = replace(Alphabet.from_excluded("ABCDEFGHJK"), digits="7")

    with container.uow() as uow:
        for ref in refs:
            found = uow.register.get_provider(ref)
            assert found is not None
            issued = issue_access_code(
                uow,
                container.keyring,
                provider=found,
                cycle=CYCLE,
                issue_at=ISSUE_AT,
                active_from=ACTIVE_FROM,
                active_until=ACTIVE_UNTIL,
                now=ISSUE_AT,
                alphabet=alphabet,
            )
            assert is_valid_access_code(issued.code, alphabet)
            assert not set(issued.code) & set("ABCDEFGHJK0123456789".replace("7", ""))


def test_material_drawn_ahead_is_stored_as_drawn(container: Container) -> None:
    (ref,) = add_providers(container, 1)
    material = draw_code_material(ALPHABET, ref, CYCLE)

    issued = issue(container, ref, material=material)

    assert (issued.code, issued.unlock_code) == (material.code, material.unlock_code)
    assert issued.access_code.document_ref == material.document_ref
    assert material.code not in repr(material) and material.unlock_code not in repr(material)
    with container.uow() as uow:
        row = uow.session.get(AccessCode, issued.access_code.id)
        assert row is not None
        assert reveal_access_code(container.keyring, row) == material.code
        assert reveal_unlock_code(container.keyring, row) == material.unlock_code


def test_material_with_a_used_code_is_refused(container: Container) -> None:
    first_ref, second_ref = add_providers(container, 2)
    first = issue(container, first_ref)
    reused = replace(draw_code_material(ALPHABET, second_ref, CYCLE), code=first.code)

    with pytest.raises(Conflict, match="used before"):
        issue(container, second_ref, material=reused)

    with container.uow() as uow:
        assert uow.codes.count_by_key_id() == {container.keyring.current_key_id: 1}
