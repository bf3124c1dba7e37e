"""The register file refuses what no document or email header can carry, warns about
formula-like names, is bounded in size, and never fails with anything but InputError."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeservice.domain.register import (
    RegisterLimits,
    check_limits,
    check_size,
    decode_register,
    parse_register,
)
from codeservice.errors import InputError

HEADER = "ref,name,prime_ref,spoc_name,spoc_email\n"
ROW = "PRV001,Northfield Ltd,,Ann Lee,ann.lee@example.org\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_register(text, "reg.csv")
    assert "nothing was imported" in str(caught.value)
    return caught.value.problems


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "PRV001,North\x07field Ltd,,Ann Lee,ann.lee@example.org\n",
            "reg.csv:2: name contains a control character, U+0007, at character 6",
        ),
        (
            "PRV001,Northfield Ltd,,Ann\u2028Lee,ann.lee@example.org\n",
            "reg.csv:2: spoc_name contains a line break, U+2028 (LINE SEPARATOR), at character 4",
        ),
        (
            "PRV001,\u202eNorthfield,,Ann Lee,ann.lee@example.org\n",
            "reg.csv:2: name contains a bidirectional control character, U+202E",
        ),
        (
            "PRV001,Northfield Ltd,,Ann Lee,ann.lee\x1b@example.org\n",
            "reg.csv:2: spoc_email contains a control character, U+001B",
        ),
        ("SUB1\x7f,Riverside,PRV001,,\n", "reg.csv:3: ref contains a control character, U+007F"),
        (
            'PRV001,"North\nfield",,Ann Lee,ann.lee@example.org\n',
            "reg.csv:2: name contains a line break, U+000A",
        ),
        ("PRV001,Northfield\ufffe,,Ann Lee,ann.lee@example.org\n", "a Unicode non-character"),
    ],
)
def test_a_character_no_document_or_header_can_carry_is_refused_naming_line_and_field(
    row: str, expected: str
) -> None:
    text = HEADER + (ROW + row if row.startswith("SUB") else row)
    found = problems_of(text)
    assert len(found) == 1, found
    assert found[0].startswith(expected) or expected in found[0]


def test_every_bad_row_is_reported_in_one_pass() -> None:
    text = (
        HEADER
        + ROW
        + "PRV002,Bad\x00Name,,Bo\x01b,bob@example.org\n"
        + "PRV003,X\x08,,C,c@example.org\n"
    )
    found = problems_of(text)
    assert [problem.split(": ")[0] for problem in found] == ["reg.csv:3"] * 2 + ["reg.csv:4"]


@pytest.mark.parametrize("first", ["=", "+", "-", "@"])
def test_a_formula_like_name_is_imported_with_a_warning(first: str) -> None:
    text = HEADER + f"PRV001,{first}HYPERLINK(1),,{first}Ann,ann@example.org\n"
    register = parse_register(text, "reg.csv")
    assert register.primes[0].name == f"{first}HYPERLINK(1)"
    assert [w.split(": ")[:2] for w in register.warnings] == [
        ["reg.csv:2", "name starts with " + repr(first)],
        ["reg.csv:2", "spoc_name starts with " + repr(first)],
    ]
    assert "formula" in register.warnings[0]


def test_a_plain_register_has_no_warnings() -> None:
    assert parse_register(HEADER + ROW, "reg.csv").warnings == []


def test_a_file_over_the_byte_limit_is_refused_before_it_is_decoded() -> None:
    data = (HEADER + ROW * 100).encode()
    with pytest.raises(InputError) as caught:
        check_limits(data, "big.csv", RegisterLimits(max_bytes=1000, max_lines=10_000))
    message = str(caught.value)
    assert message.startswith("big.csv is 5,140 bytes")
    assert "at most 1,000 bytes (setting register_max_bytes)" in message
    assert "nothing was imported" in message


def test_a_file_over_the_line_limit_is_refused() -> None:
    data = (HEADER + "\n" * 20).encode()
    with pytest.raises(InputError, match=r"has 21 lines; .* at most 20 \(setting register_max"):
        check_limits(data, "long.csv", RegisterLimits(max_bytes=10_000, max_lines=20))
    check_limits(data, "long.csv", RegisterLimits(max_bytes=10_000, max_lines=21))


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_the_line_limit_counts_every_kind_of_line_end(end: str) -> None:
    rows = [HEADER.rstrip("\n"), *(f"PRV{n:03d},N,,S,s{n}@example.org" for n in range(20))]
    data = end.join(rows).encode()  # 21 lines, the last without its end
    within = RegisterLimits(max_bytes=10_000, max_lines=21)

    with pytest.raises(InputError, match=r"has 21 lines; .* at most 20 "):
        check_limits(data, "old-mac.csv", RegisterLimits(max_bytes=10_000, max_lines=20))
    check_limits(data, "old-mac.csv", within)
    check_limits(data + end.encode(), "old-mac.csv", within)


def test_a_file_that_is_not_utf8_names_every_bad_line() -> None:
    data = HEADER.encode() + b"PRV001,Caf\xe9,,A,a@example.org\nok\n\xff\xfe\nok\nx\x80\n"
    with pytest.raises(InputError) as caught:
        decode_register(data, "latin.csv")
    assert "(3 lines)" in str(caught.value)
    assert [p.split(": ")[0] for p in caught.value.problems] == [
        "latin.csv:2",
        "latin.csv:4",
        "latin.csv:6",
    ]


def test_a_file_with_thousands_of_bad_lines_lists_a_hundred_and_counts_the_rest() -> None:
    data = HEADER.encode() + b"\xff\n" * 5000
    with pytest.raises(InputError) as caught:
        decode_register(data, "latin.csv")
    assert len(caught.value.problems) == 101
    assert caught.value.problems[-1] == "... and 4900 more problems"


FIELD = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp"])),
    st.text(min_size=200, max_size=600),
    st.just(""),
    st.sampled_from(["=1+1", "@SUM(A1)", "PRV001", "a@example.org", '"', ",", "\r\n"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(FIELD, FIELD, FIELD, FIELD, FIELD), max_size=6))
def test_arbitrary_rows_give_a_register_or_an_input_error(
    rows: list[tuple[str, str, str, str, str]],
) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ref", "name", "prime_ref", "spoc_name", "spoc_email"])
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8", "surrogatepass")
    try:
        register = parse_register(decode_register(data, "f.csv"), "f.csv")
    except InputError as error:
        assert error.problems or str(error)
        return
    for prime in register.primes:
        assert "\x00" not in prime.name and prime.name.strip() == prime.name
        for spoc in prime.spocs:
            assert "@" in spoc.email


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_give_a_register_or_an_input_error(data: bytes) -> None:
    try:
        check_limits(data, "f.csv", RegisterLimits(max_bytes=300, max_lines=20))
        parse_register(decode_register(data, "f.csv"), "f.csv")
    except InputError:
        pass


def test_names_are_kept_composed_however_their_accents_were_saved() -> None:
    decomposed = HEADER + "PRV001,Cafe\u0301 Ltd,,Jose\u0301 Lee,ann.lee@example.org\n"

    register = parse_register(decode_register(decomposed.encode(), "reg.csv"), "reg.csv")

    (prime,) = register.primes
    assert prime.name == "Caf\u00e9 Ltd" and prime.spocs[0].name == "Jos\u00e9 Lee"


def test_a_stream_over_the_byte_limit_is_said_to_be_more_than_the_limit() -> None:
    # Only max_bytes + 1 of a pipe is read: its whole size is not known.
    with pytest.raises(InputError) as caught:
        check_size(1001, "/dev/stdin", RegisterLimits(max_bytes=1000), whole=False)
    assert str(caught.value).startswith("/dev/stdin is more than 1,000 bytes; a register")
