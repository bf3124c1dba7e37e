"""The dashboard chart's labels never overlap and stay inside the chart, whatever the
counts: one day or a year of them, zeros, one huge value, both markers on one day."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from codeservice.services.distribution.board import DayCount
from codeservice.web.charts import WIDTH, BarChart, acknowledgement_chart, label_boxes

START = date(2027, 3, 28)  # a Sunday: the first day's label is next to Monday's


@st.composite
def charts(draw: st.DrawFn) -> BarChart:
    count = draw(st.integers(min_value=1, max_value=400))
    start = START + timedelta(days=draw(st.integers(min_value=0, max_value=6)))
    values = draw(
        st.lists(
            st.one_of(st.just(0), st.integers(0, 20), st.integers(0, 10**12)),
            min_size=count,
            max_size=count,
        )
    )
    activation = draw(st.one_of(st.none(), st.integers(0, count - 1)))
    today = draw(st.integers(0, count - 1))
    days, total = [], 0
    for index, value in enumerate(values):
        total += value
        days.append(DayCount(start + timedelta(days=index), value, total, index == activation))
    return acknowledgement_chart(tuple(days), start + timedelta(days=today))


@given(charts())
def test_no_two_labels_overlap_and_each_is_inside_the_chart(chart: BarChart) -> None:
    boxes = label_boxes(chart)
    for one, other in combinations(boxes, 2):
        assert not one.overlaps(other), (one, other)
    for box in boxes:
        assert box.left >= 0 and box.right <= WIDTH and box.top >= 0, box
        assert box.bottom <= chart.height, box
    assert chart.x_ticks, "the first day is always labelled"
    assert all(bar.x >= chart.left and bar.height >= 0 for bar in chart.bars)


def test_both_markers_on_the_last_day_stack_and_turn_left() -> None:
    last = START + timedelta(days=34)
    days = tuple(DayCount(START + timedelta(days=n), 0, 0) for n in range(34))
    chart = acknowledgement_chart((*days, DayCount(last, 3, 3, activation=True)), last)
    first, second = chart.markers
    assert first.label_y != second.label_y
    assert {first.anchor, second.anchor} == {"end"}
