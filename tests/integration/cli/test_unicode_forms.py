"""The same name saved with its accents composed or decomposed is one name: an import
in the other form changes nothing, and a search typed either way finds it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli

HEADER = "ref,name,prime_ref,spoc_name,spoc_email\n"


def test_an_accent_saved_either_way_is_the_same_name(cli: Cli, tmp_path: Path) -> None:
    decomposed = tmp_path / "mac.csv"
    decomposed.write_text(HEADER + "PRV001,Cafe\u0301 Ltd,,Jose\u0301,j@example.org\n")
    composed = tmp_path / "windows.csv"
    composed.write_text(HEADER + "PRV001,Caf\u00e9 Ltd,,Jos\u00e9,j@example.org\n")

    first = cli("providers", "import", str(decomposed))
    again = cli("providers", "import", str(composed))
    found = cli("providers", "find", "caf\u00e9")
    found_decomposed = cli("providers", "find", "CAFE\u0301")

    assert first.exit_code == 0, first.output
    assert "providers: 0 added, 0 updated, 1 unchanged" in again.stdout
    assert "SPoCs:     0 added, 0 updated, 1 unchanged" in again.stdout
    assert "PRV001" in found.stdout and "PRV001" in found_decomposed.stdout
    (listed,) = json.loads(cli("providers", "list", "--json").stdout)
    assert listed["name"] == "Caf\u00e9 Ltd"
