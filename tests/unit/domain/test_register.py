from __future__ import annotations

from pathlib import Path

import pytest

from codeservice.domain.register import decode_register, normalise_email, parse_register
from codeservice.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
HEADER = "ref,name,prime_ref,spoc_name,spoc_email\n"
GOOD = (
    HEADER
    + "PRV001,Northfield Ltd,,Ann Lee,ann.lee@example.org\n"
    + "PRV001,Northfield Ltd,,Bob Ray,bob.ray@example.org\n"
    + "PRV002,Harbourside Skills,,Cat Jones,cat@example.com\n"
    + "SUB101,Riverside Trust,PRV001,,\n"
)


def problems_of(text: str, filename: str = "reg.csv") -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_register(text, filename)
    assert "nothing was imported" in str(caught.value)
    return caught.value.problems


def only_problem(text: str) -> str:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def test_a_good_register_gives_primes_with_spocs_and_subcontractors() -> None:
    register = parse_register(GOOD, "reg.csv")

    assert [(p.ref, p.name) for p in register.primes] == [
        ("PRV001", "Northfield Ltd"),
        ("PRV002", "Harbourside Skills"),
    ]
    assert [(s.name, s.email, s.line) for s in register.primes[0].spocs] == [
        ("Ann Lee", "ann.lee@example.org", 2),
        ("Bob Ray", "bob.ray@example.org", 3),
    ]
    assert [(s.ref, s.name, s.prime_ref) for s in register.subcontractors] == [
        ("SUB101", "Riverside Trust", "PRV001")
    ]


def test_whitespace_is_trimmed_and_the_email_domain_lower_cased() -> None:
    text = HEADER + "  PRV001 , Northfield Ltd ,, Ann Lee , Ann.Lee@Example.ORG \n"

    prime = parse_register(text, "reg.csv").primes[0]

    assert (prime.ref, prime.name) == ("PRV001", "Northfield Ltd")
    assert prime.spocs[0].email == "Ann.Lee@example.org"


def test_a_bom_and_crlf_line_endings_are_fine() -> None:
    data = b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode()

    register = parse_register(decode_register(data, "reg.csv"), "reg.csv")

    assert [p.ref for p in register.primes] == ["PRV001", "PRV002"]
    assert register.primes[0].spocs[1].email == "bob.ray@example.org"


def test_columns_may_come_in_any_order() -> None:
    text = (
        "spoc_email,prime_ref,Name,REF,spoc_name\n"
        "ann@example.org,,Northfield Ltd,PRV001,Ann Lee\n"
        ",PRV001,Riverside Trust,SUB101,\n"
    )

    register = parse_register(text, "reg.csv")

    assert register.primes[0].ref == "PRV001"
    assert register.primes[0].spocs[0].name == "Ann Lee"
    assert register.subcontractors[0].prime_ref == "PRV001"


def test_blank_lines_are_skipped_but_counted() -> None:
    text = HEADER + "\nPRV001,Northfield Ltd,,Ann Lee,ann@example.org\n,,,,\n"

    assert parse_register(text, "reg.csv").primes[0].spocs[0].line == 3


def test_a_quoted_name_may_hold_a_comma_and_line_numbers_stay_physical() -> None:
    text = HEADER + '"PRV001","Coast, County\nand Sea Ltd",,Ann,ann@example.org\n'
    text += "PRV002,,,B,b@x.org\n"

    # A line break inside a quoted name is refused (no email header can carry it),
    # and the next row's line number is still its physical line.
    assert problems_of(text) == [
        "reg.csv:2: name contains a line break, U+000A, at character 14",
        "reg.csv:4: name is empty",
    ]


def test_the_sample_register_parses() -> None:
    text = (ROOT / "config" / "providers.example.csv").read_text(encoding="utf-8")

    register = parse_register(text, "providers.example.csv")

    assert len(register.primes) >= 6
    assert len(register.subcontractors) >= 4
    assert all(1 <= len(prime.spocs) <= 3 for prime in register.primes)
    domains = {spoc.email.split("@")[1] for p in register.primes for spoc in p.spocs}
    assert domains <= {"example.org", "example.com", "example.net"}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\nSUB1,Sub,PRV999,,\n",
            "reg.csv:3: prime_ref 'PRV999' names no prime provider in this file",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\nSUB1,Sub,PRV001,,\nSUB2,Sub 2,SUB1,,\n",
            "reg.csv:4: prime_ref 'SUB1' names a subcontractor (line 3), not a prime provider",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\nSUB1,Sub,PRV001,Bob,\n",
            "reg.csv:3: subcontractor 'SUB1' has SPoC details; SPoCs belong on the rows of the "
            "prime provider (leave spoc_name and spoc_email empty)",
        ),
        (
            "PRV001,Northfield Ltd,,,ann@example.org\n",
            "reg.csv:2: prime provider 'PRV001' has no spoc_name",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,\n",
            "reg.csv:2: prime provider 'PRV001' has no spoc_email",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann at example.org\n",
            "reg.csv:2: spoc_email 'ann at example.org' is not a valid email address "
            "(expected one name@domain.tld, no spaces)",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\n"
            "PRV001,Northfield Ltd,,Ann B,ANN@EXAMPLE.org\n",
            "reg.csv:3: spoc_email 'ANN@example.org' is given twice for 'PRV001' (first on line 2)",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\n"
            "PRV001,Northfeld Ltd,,Bob,bob@example.org\n",
            "reg.csv:3: ref 'PRV001' is named 'Northfeld Ltd' here but 'Northfield Ltd' on line 2",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\nPRV002,Two,,Bob,bob@example.org\n"
            "PRV002,Two,PRV001,,\n",
            "reg.csv:4: ref 'PRV002' is a subcontractor here but a prime provider on line 3",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\nSUB1,Sub,PRV001,,\nSUB1,Sub,PRV001,,\n",
            "reg.csv:4: subcontractor 'SUB1' already appears on line 3 "
            "(a subcontractor has one row)",
        ),
        (
            "PRV001,Northfield Ltd,,Ann,ann@example.org\nPRV002,Two,,Bob\n",
            "reg.csv:3: expected 5 fields, found 4",
        ),
        (
            ",Northfield Ltd,,Ann,ann@example.org\n",
            "reg.csv:2: ref is empty",
        ),
        (
            "PRV001,,,Ann,ann@example.org\n",
            "reg.csv:2: name is empty",
        ),
        (
            "PRV 001,Northfield Ltd,,Ann,ann@example.org\n",
            "reg.csv:2: ref 'PRV 001' is not a valid reference (up to 64 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit)",
        ),
        (
            "PRV001,Northfield Ltd,PRV001,,\n",
            "reg.csv:2: 'PRV001' names itself as its prime provider",
        ),
        (
            'PRV001,"Northfield Ltd,,Ann,ann@example.org\n',
            "reg.csv:2: not valid CSV (unexpected end of data); nothing after this line was read",
        ),
    ],
)
def test_each_problem_is_reported_with_its_line(rows: str, expected: str) -> None:
    assert only_problem(HEADER + rows) == expected


def test_refs_are_case_sensitive() -> None:
    text = HEADER + "PRV001,One,,Ann,ann@example.org\nprv001,Other,,Bob,bob@example.org\n"

    assert [p.ref for p in parse_register(text, "reg.csv").primes] == ["PRV001", "prv001"]


def test_the_same_email_may_serve_two_primes() -> None:
    text = HEADER + "PRV001,One,,Ann,ann@example.org\nPRV002,Two,,Ann,ann@example.org\n"

    assert len(parse_register(text, "reg.csv").primes) == 2


def test_an_empty_file_is_reported() -> None:
    assert only_problem("") == (
        "reg.csv:1: the file is empty: expected the header ref,name,prime_ref,spoc_name,spoc_email"
    )


def test_a_header_without_rows_is_reported() -> None:
    assert only_problem(HEADER) == "reg.csv:2: no data rows: the file holds only the header"


def test_a_missing_column_is_named_at_line_1() -> None:
    text = "ref,name,spoc_name,spoc_email\nPRV001,One,Ann,ann@example.org\n"

    assert only_problem(text) == (
        "reg.csv:1: missing column 'prime_ref'; the columns are "
        "ref, name, prime_ref, spoc_name, spoc_email"
    )


def test_invisible_characters_pasted_at_the_ends_of_a_cell_are_not_kept() -> None:
    text = HEADER.replace("ref", "\ufeffref", 1) + (
        "PRV001,\u200bAcme Ltd\ufeff,,Ann\u2060,ann@example.org\u200b\n"
    )

    [prime] = parse_register(text, "reg.csv").primes
    assert (prime.name, prime.spocs[0].name, prime.spocs[0].email) == (
        "Acme Ltd",
        "Ann",
        "ann@example.org",
    )


@pytest.mark.parametrize(("separator", "called"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_not_separated_by_commas_is_named_once(separator: str, called: str) -> None:
    text = (HEADER + "PRV001,One,,Ann,ann@example.org\n").replace(",", separator)

    assert only_problem(text) == (
        f"reg.csv:1: the columns are separated by {called}, not commas; save the file as "
        "'CSV UTF-8 (Comma delimited)'"
    )


def test_an_extra_column_is_an_error() -> None:
    text = HEADER.strip() + ",phone\nPRV001,One,,Ann,ann@example.org,0123\n"

    assert only_problem(text) == (
        "reg.csv:1: unknown column 'phone'; the columns are "
        "ref, name, prime_ref, spoc_name, spoc_email (and, together, "
        "security_plan_received, security_plan_approved, security_plan_changed)"
    )


def test_every_bad_row_is_reported_in_one_run_in_line_order() -> None:
    text = (
        HEADER
        + "PRV001,One,,Ann,ann@example.org\n"  # 2 fine
        + "PRV002,Two,,,bob@example.org\n"  # 3 no spoc_name
        + "SUB1,Sub,NOPE,,\n"  # 4 unknown prime
        + "PRV003,Three,,Cy,cy@@example.org\n"  # 5 bad email
        + "PRV001,Uno,,Dee,dee@example.org\n"  # 6 renamed
        + "PRV004,Four\n"  # 7 too few fields
    )

    found = problems_of(text)

    assert [problem.split(":")[1] for problem in found] == ["3", "4", "5", "6", "7"]
    assert all(problem.startswith("reg.csv:") for problem in found)


def test_a_row_with_the_wrong_field_count_does_not_also_make_its_subcontractors_unknown() -> None:
    text = HEADER + "PRV001,One,,Ann,ann@example.org,extra\nSUB1,Sub,PRV001,,\n"

    assert only_problem(text) == "reg.csv:2: expected 5 fields, found 6"


def test_bytes_that_are_not_utf8_are_reported_by_line() -> None:
    data = HEADER + "PRV001,Caf\xe9 Ltd,,Ann,ann@example.org\nPRV002,Ok,,B,b@example.org\n"
    data_bytes = data.encode("latin-1") + "PRV003,Na\xefve,,C,c@example.org\n".encode("latin-1")

    with pytest.raises(InputError) as caught:
        decode_register(data_bytes, "reg.csv")

    assert caught.value.problems == [
        "reg.csv:2: not UTF-8 text (byte 0xE9 at position 11); save the file as 'CSV UTF-8'",
        "reg.csv:4: not UTF-8 text (byte 0xEF at position 10); save the file as 'CSV UTF-8'",
    ]


def test_utf8_text_is_decoded_without_its_bom() -> None:
    assert decode_register("\ufeffref,name\nCafé\n".encode(), "reg.csv") == "ref,name\nCafé\n"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ann@example.org", "ann@example.org"),
        ("Ann.Lee+pd@Mail.Example.ORG", "Ann.Lee+pd@mail.example.org"),
        ("o'brien@example.co.uk", "o'brien@example.co.uk"),
        ("ann@example", None),
        ("ann@@example.org", None),
        ("ann@exa mple.org", None),
        ("ann lee@example.org", None),
        ("@example.org", None),
        ("ann.@example.org", None),
        ("ann..lee@example.org", None),
        ("ann@-example.org", None),
        ("ann@example..org", None),
        ("ann@example.o", None),
        ("ann@example.123", None),
        ("a" * 65 + "@example.org", None),
    ],
)
def test_email_addresses_are_checked_for_syntax(given: str, expected: str | None) -> None:
    assert normalise_email(given) == expected
