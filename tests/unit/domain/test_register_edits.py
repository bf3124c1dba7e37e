"""One provider or SPoC changed on its page: names kept in one form, as an import keeps them."""

from __future__ import annotations

from codeservice.domain.register_edits import check_provider_name, check_spoc


def test_a_name_typed_with_a_combining_accent_is_kept_composed() -> None:
    assert check_provider_name(" Cafe\u0301 Ltd ") == "Caf\u00e9 Ltd"
    assert check_spoc("Jose\u0301 Lee", "jose@example.org").name == "Jos\u00e9 Lee"
