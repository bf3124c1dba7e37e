"""A bar chart laid out on the server, drawn by the template as inline SVG.

The content security policy allows no inline script and no style attributes, so the
chart is plain SVG geometry with presentation attributes, and the page carries the
same numbers as a table for people who cannot see it.

Labels are placed here, never left to overlap: each has a box from a generous
estimate of its text's width; a day label that would touch the one before it is left
out (the table has every day), a marker label goes to the next row up, and the count
axis is as wide as its widest number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from codeservice.services.distribution.board import DayCount

WIDTH = 960
HEIGHT = 260
LEFT = 44  # the least room for the count axis labels
RIGHT = 8
ROW = 20  # one row of marker labels (taller than a label's box)
TOP = 2 * ROW + 8  # room for two rows of marker labels
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


FONT = 14
CHAR = 0.7 * FONT  # wider than any character of these labels in GDS Transport or Arial
PAD = 4


@dataclass(frozen=True)
class Marker:
    x: float
    text: str
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


def text_box(x: float, baseline: float, text: str, anchor: str) -> Box:
    """The room a label takes, padded: at least as wide as the text can be drawn."""
    width = len(text) * CHAR + 2 * PAD
    left = {"start": x - PAD, "middle": x - width / 2, "end": x - width + PAD}[anchor]
    return Box(left, baseline - FONT, left + width, baseline + FONT * 0.3)


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
    top_value = _nice_ceiling(max((d.acknowledgements for d in days), default=0))
    left = max(LEFT, round(len(str(top_value)) * CHAR + 2 * PAD + 8))
    plot_width = WIDTH - left - RIGHT
    axis = HEIGHT - BOTTOM
    plot_height = axis - TOP
    slot = plot_width / max(len(days), 1)
    gap = min(4.0, slot / 4)

    bars: list[Bar] = []
    x_ticks: list[Tick] = []
    markers: list[Marker] = []
    for index, day in enumerate(days):
        x = left + index * slot
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
            label = f"{day.day.day} {MONTHS[day.day.month - 1]}"
            _add_tick(x_ticks, centre, label, axis, left)
        if day.activation:
            markers.append(_marker(markers, round(x, 1), "In force"))
        if day.day == today:
            markers.append(_marker(markers, centre, "Today"))
    y_ticks = tuple(
        Tick(round(axis - plot_height * value / top_value, 1), str(value))
        for value in sorted({0, top_value // 2, top_value})
    )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        top=TOP,
        bottom=axis,
        right=WIDTH - RIGHT,
        bars=tuple(bars),
        x_ticks=tuple(x_ticks),
        y_ticks=y_ticks,
        markers=tuple(markers),
        total=days[-1].cumulative if days else 0,
    )


def _add_tick(ticks: list[Tick], centre: float, text: str, axis: float, left: int) -> None:
    """A day label under its bar — moved in from either end of the axis, clear of the
    count labels — unless it would touch the one before it."""
    half = (len(text) * CHAR + 2 * PAD) / 2
    centre = round(min(max(centre, left - PAD + half), WIDTH - half), 1)
    box = text_box(centre, axis + 22, text, "middle")
    if ticks and box.overlaps(text_box(ticks[-1].position, axis + 22, ticks[-1].text, "middle")):
        return
    ticks.append(Tick(centre, text))


def _marker(placed: list[Marker], x: float, text: str) -> Marker:
    """A marker's label beside its line (to the left near the right edge), on the
    lowest row where it touches no other marker's label."""
    boxes = [text_box(m.label_x, m.label_y, m.text, m.anchor) for m in placed]
    fits_right = x + PAD + len(text) * CHAR + PAD <= WIDTH
    anchor, label_x = ("start", x + PAD) if fits_right else ("end", x - PAD)
    for row in range(len(placed) + 1):
        baseline = TOP - 10 - row * ROW
        if not any(text_box(label_x, baseline, text, anchor).overlaps(b) for b in boxes):
            break
    return Marker(x, text, round(label_x, 1), baseline, anchor)


def label_boxes(chart: BarChart) -> list[Box]:
    """Every label of the chart, as the template draws it."""
    return (
        [text_box(chart.left - 8, t.position + 5, t.text, "end") for t in chart.y_ticks]
        + [text_box(m.label_x, m.label_y, m.text, m.anchor) for m in chart.markers]
        + [text_box(t.position, chart.bottom + 22, t.text, "middle") for t in chart.x_ticks]
    )


def _nice_ceiling(value: int) -> int:
    """The axis top: at least 2, and even, so the middle tick is a whole number."""
    top = max(value, 2)
    return top + top % 2


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {MONTHS[day.month - 1]}"
