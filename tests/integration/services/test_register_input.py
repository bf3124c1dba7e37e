"""The import use case fed arbitrary text: it imports the file or refuses it with an
InputError, never another exception, and a refused file changes nothing."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeservice.bootstrap import Container
from codeservice.errors import InputError
from tests.integration.services.test_register import REGISTER, run_import
from tests.support.register import import_register, register_snapshot

FIELD = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Co"])),
    st.text(min_size=250, max_size=400),
    st.just(""),
    st.sampled_from(["PRV001", "PRV002", "SUB101", "a@example.org", "=1+1", "@x", "-2"]),
)
ROWS = st.lists(st.tuples(FIELD, FIELD, FIELD, FIELD, FIELD), max_size=5)


def _file(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ref", "name", "prime_ref", "spoc_name", "spoc_email"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=ROWS, prune=st.booleans())
def test_arbitrary_rows_import_or_change_nothing(
    container: Container, rows: list[tuple[str, str, str, str, str]], prune: bool
) -> None:
    if not register_snapshot(container)["providers"]:
        run_import(container, REGISTER)
    before = register_snapshot(container)
    try:
        import_register(container, _file(rows), "fuzz.csv", prune=prune, actor="tester")
    except InputError as error:
        assert error.problems or "nothing was imported" in str(error)
        assert register_snapshot(container) == before
