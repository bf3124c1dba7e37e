"""The rules of second factors: TOTP steps and replays, recovery codes, names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from codeservice.domain.second_factors import (
    RECOVERY_ALPHABET,
    RECOVERY_CODE_COUNT,
    FactorKind,
    can_remove,
    candidate_steps,
    clean_recovery_code,
    clean_totp_code,
    factor_name,
    grouped_key,
    matching_step,
    new_recovery_codes,
    totp_step,
)

NOW = datetime(2027, 4, 1, 9, 0, 15, tzinfo=UTC)


def _codes(step: int) -> str:
    return f"{step % 1_000_000:06d}"


def test_a_step_is_thirty_seconds_and_the_window_is_one_either_side() -> None:
    here = totp_step(NOW)
    assert totp_step(NOW + timedelta(seconds=14)) == here
    assert totp_step(NOW + timedelta(seconds=15)) == here + 1
    assert candidate_steps(NOW, None) == [here - 1, here, here + 1]


def test_a_code_is_accepted_in_the_window_only() -> None:
    here = totp_step(NOW)
    for step in (here - 1, here, here + 1):
        assert matching_step(_codes(step), NOW, None, _codes) == step
    assert matching_step(_codes(here + 2), NOW, None, _codes) is None
    assert matching_step(_codes(here - 2), NOW, None, _codes) is None


def test_a_code_of_a_step_already_used_or_earlier_is_a_replay() -> None:
    here = totp_step(NOW)
    assert matching_step(_codes(here), NOW, here, _codes) is None
    assert matching_step(_codes(here - 1), NOW, here, _codes) is None
    assert matching_step(_codes(here + 1), NOW, here, _codes) == here + 1
    assert candidate_steps(NOW, here + 1) == []


def test_a_typed_code_may_have_spaces_but_only_six_digits() -> None:
    assert clean_totp_code(" 123 456 ") == "123456"
    assert clean_totp_code("12345") is None
    assert clean_totp_code("12345a") is None
    assert clean_totp_code("١٢٣٤٥٦") is None  # digits, but not ASCII ones


def test_recovery_codes_are_ten_distinct_codes_of_the_plain_alphabet() -> None:
    codes = new_recovery_codes(Random(7))  # noqa: S311 (a test: any draw will do)
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    for code in codes:
        first, second = code.split("-")
        assert len(first) == len(second) == 5
        assert set(first + second) <= set(RECOVERY_ALPHABET)


def test_a_recovery_code_is_typed_in_any_case_with_spaces_or_hyphens() -> None:
    assert clean_recovery_code(" ABCDE-fhjkm ") == "abcdefhjkm"
    assert clean_recovery_code("abcde fhjkm") == "abcdefhjkm"
    assert clean_recovery_code("abcde-fhjk") is None  # too short
    assert clean_recovery_code("abcde-fhjk0") is None  # 0 is not in the alphabet


def test_the_key_is_shown_in_groups_of_four() -> None:
    assert grouped_key("ABCDEFGHIJKLMNOP") == "ABCD EFGH IJKL MNOP"


def test_a_factor_without_a_name_gets_one_not_yet_taken() -> None:
    assert factor_name("  my   phone ", FactorKind.TOTP, []) == "my phone"
    assert factor_name("", FactorKind.TOTP, []) == "Authenticator app"
    taken = ["Authenticator app", "Authenticator app 2"]
    assert factor_name("", FactorKind.TOTP, taken) == "Authenticator app 3"
    assert factor_name("", FactorKind.WEBAUTHN, taken) == "Security key or passkey"
    assert len(factor_name("x" * 200, FactorKind.TOTP, [])) == 60


def test_the_last_factor_stays() -> None:
    assert not can_remove(1)
    assert can_remove(2)
