"""A bar chart laid out on the server, drawn by the template as inline SVG.

The content security policy allows no inline script and no style attributes, so the
chart is plain SVG geometry with presentation attributes, and the page carries the
same numbers as a table for people who cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from codeservice.services.distribution.board import DayCount

WIDTH = 960
HEIGHT = 260
LEFT = 44  # room for the count axis labels
RIGHT = 8
TOP = 28  # room for marker labels
BOTTOM = 36  # room for the day labels
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    day: str  # "Wed 31 Mar", for the bar's tooltip


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Marker:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    top: int
    bottom: float  # y of the axis
    right: float
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    total: int


def acknowledgement_chart(days: tuple[DayCount, ...], today: date | None) -> BarChart:
    """Acknowledgements per day; the activation Monday and today are marked."""
    plot_width = WIDTH - LEFT - RIGHT
    axis = HEIGHT - BOTTOM
    plot_height = axis - TOP
    slot = plot_width / max(len(days), 1)
    gap = min(4.0, slot / 4)
    top_value = _nice_ceiling(max((d.acknowledgements for d in days), default=0))

    bars: list[Bar] = []
    x_ticks: list[Tick] = []
    markers: list[Marker] = []
    for index, day in enumerate(days):
        x = LEFT + index * slot
        height = plot_height * day.acknowledgements / top_value
        bars.append(
            Bar(
                x=round(x + gap / 2, 1),
                y=round(axis - height, 1),
                width=round(slot - gap, 1),
                height=round(height, 1),
                value=day.acknowledgements,
                day=_day(day.day),
            )
        )
        centre = round(x + slot / 2, 1)
        if index == 0 or day.day.weekday() == 0:
            x_ticks.append(Tick(centre, f"{day.day.day} {MONTHS[day.day.month - 1]}"))
        if day.activation:
            markers.append(Marker(round(x, 1), "In force"))
        if day.day == today:
            markers.append(Marker(centre, "Today"))
    y_ticks = tuple(
        Tick(round(axis - plot_height * value / top_value, 1), str(value))
        for value in sorted({0, top_value // 2, top_value})
    )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        bottom=axis,
        right=WIDTH - RIGHT,
        bars=tuple(bars),
        x_ticks=tuple(x_ticks),
        y_ticks=y_ticks,
        markers=tuple(markers),
        total=days[-1].cumulative if days else 0,
    )


def _nice_ceiling(value: int) -> int:
    """The axis top: at least 2, and even, so the middle tick is a whole number."""
    top = max(value, 2)
    return top + top % 2


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {MONTHS[day.month - 1]}"
