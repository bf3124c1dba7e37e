"""The audit anchor's rules, without a database: a chain built in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codeservice.domain.audit import GENESIS, chain_hash
from codeservice.domain.audit_anchor import (
    Anchor,
    AnchorUnreadable,
    AnchorVerdict,
    ChainHead,
    anchor_text,
    judge_anchor,
    make_anchor,
    may_advance,
    parse_anchor,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
START = datetime(2027, 4, 1, 9, 0, tzinfo=UTC)


def chain(length: int, *, salt: str = "") -> list[ChainHead]:
    """Heads of a chain of ``length`` records, as ``record`` would write them."""
    heads, prev = [], GENESIS
    for seq in range(1, length + 1):
        prev = chain_hash(
            KEY,
            seq=seq,
            at=START + timedelta(seconds=seq),
            actor="cli:tester",
            action="register:import:apply",
            source="cli",
            details=f'{{"n":{seq}{salt}}}',
            prev_hash=prev,
        )
        heads.append(ChainHead(seq, prev))
    return heads


def judge(anchor: Anchor | None, trail: list[ChainHead]) -> AnchorVerdict:
    head = trail[-1] if trail else None
    hash_at = None
    if anchor is not None and anchor.seq <= len(trail):
        hash_at = trail[anchor.seq - 1].hash
    return judge_anchor(KEY, anchor, head, hash_at).verdict


def test_the_anchor_round_trips_through_its_text_and_checks_under_its_key() -> None:
    head = chain(3)[-1]
    anchor = make_anchor(KEY, head)
    assert parse_anchor(anchor_text(anchor)) == anchor
    assert judge(anchor, chain(3)) is AnchorVerdict.MATCHES
    forged = make_anchor(OTHER_KEY, head)
    assert judge(forged, chain(3)) is AnchorVerdict.FORGED


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"format": "other"}', '{"format": "codeservice-audit-anchor/1"}'],
)
def test_text_that_is_no_anchor_is_unreadable(text: str) -> None:
    with pytest.raises(AnchorUnreadable):
        parse_anchor(text)


@given(length=st.integers(1, 40), data=st.data())
def test_any_cut_back_of_an_anchored_trail_is_found(length: int, data: st.DataObject) -> None:
    trail = chain(length)
    anchor = make_anchor(KEY, trail[-1])
    kept = data.draw(st.integers(0, length - 1), label="records kept")

    verdict = judge(anchor, trail[:kept])

    assert verdict is (AnchorVerdict.EMPTIED if kept == 0 else AnchorVerdict.TRUNCATED)
    finding = judge_anchor(KEY, anchor, trail[kept - 1] if kept else None, None)
    assert finding.failed
    if kept:
        assert f"#{kept}" in finding.message and f"#{length}" in finding.message


@given(length=st.integers(1, 30), data=st.data())
def test_a_trail_cut_back_and_grown_again_is_found_and_never_anchored(
    length: int, data: st.DataObject
) -> None:
    trail = chain(length)
    anchor = make_anchor(KEY, trail[-1])
    kept = data.draw(st.integers(0, length - 1), label="records kept")
    grown = data.draw(st.integers(length - kept, length - kept + 10), label="records added")
    regrown = trail[:kept] + chain(kept + grown, salt=",x")[kept:]

    assert judge(anchor, regrown) is AnchorVerdict.DIVERGED
    assert not may_advance(
        anchor,
        regrown[-1],
        first_new_seq=regrown[-1].seq,
        hash_at_current=regrown[anchor.seq - 1].hash,
    )


@given(length=st.integers(1, 30), data=st.data())
def test_an_anchor_behind_its_own_chain_passes_and_moves_forward(
    length: int, data: st.DataObject
) -> None:
    trail = chain(length)
    at = data.draw(st.integers(1, length), label="anchored record")
    anchor = make_anchor(KEY, trail[at - 1])

    verdict = judge(anchor, trail)

    assert verdict is (AnchorVerdict.MATCHES if at == length else AnchorVerdict.BEHIND)
    assert not judge_anchor(KEY, anchor, trail[-1], trail[at - 1].hash).failed
    moves = may_advance(
        anchor, trail[-1], first_new_seq=trail[-1].seq, hash_at_current=trail[at - 1].hash
    )
    assert moves is (at < length)


def test_an_anchor_never_moves_backwards() -> None:
    trail = chain(5)
    anchor = make_anchor(KEY, trail[4])
    for head in trail:
        assert not may_advance(anchor, head, first_new_seq=head.seq, hash_at_current=head.hash)


def test_without_an_anchor_only_a_new_chain_or_an_operator_creates_one() -> None:
    trail = chain(5)
    assert may_advance(None, trail[0], first_new_seq=1, hash_at_current=None)
    assert may_advance(None, trail[2], first_new_seq=1, hash_at_current=None)
    assert not may_advance(None, trail[4], first_new_seq=5, hash_at_current=None)
    assert may_advance(None, trail[4], first_new_seq=5, hash_at_current=None, create=True)


def test_no_anchor_is_fine_only_while_there_are_no_records() -> None:
    assert judge(None, []) is AnchorVerdict.NOTHING_YET
    missing = judge_anchor(KEY, None, chain(2)[-1], None)
    assert missing.verdict is AnchorVerdict.MISSING and missing.failed
    assert "missing" in missing.message and "2 records" in missing.message


def test_an_unreadable_anchor_fails_saying_why() -> None:
    finding = judge_anchor(KEY, None, chain(1)[-1], None, unreadable="not an anchor")
    assert finding.verdict is AnchorVerdict.FORGED and "not an anchor" in finding.message
