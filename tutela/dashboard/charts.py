"""Server-rendered SVG charts: pure geometry, no database, no script (the CSP forbids inline code)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    rects: list[Rect]
    labels: list[Label]
    legend: list[tuple[str, str]]
    maximum: int


def stacked_bars(
    columns: Sequence[str],
    series: Mapping[str, Mapping[str, int]],
    *,
    width: int = 640,
    height: int = 220,
    names: Mapping[str, Any] | None = None,
) -> BarChart:
    """One stacked column per entry of ``columns`` (e.g. months), one colour per series key (e.g. type).

    ``series[key][column]`` is the count. Colours cycle through seven CSS classes ``bar0``..``bar6``.
    """
    names = names or {}
    keys = sorted(series)
    totals = [sum(series[k].get(c, 0) for k in keys) for c in columns]
    maximum = max(totals, default=0)
    left, bottom, top = 36, 24, 10
    plot_h = height - bottom - top
    slot = (width - left) / max(len(columns), 1)
    bar_w = max(slot * 0.6, 2)
    rects: list[Rect] = []
    labels: list[Label] = [
        Label(left - 6, top + 4, str(maximum), "end"),
        Label(left - 6, height - bottom, "0", "end"),
    ]
    for i, column in enumerate(columns):
        x = left + i * slot + (slot - bar_w) / 2
        y: float = height - bottom
        for k_index, key in enumerate(keys):
            count = series[key].get(column, 0)
            if not count or not maximum:
                continue
            h = plot_h * count / maximum
            y -= h
            rects.append(
                Rect(
                    round(x, 1),
                    round(y, 1),
                    round(bar_w, 1),
                    round(h, 1),
                    f"bar{k_index % 7}",
                    f"{column} · {names.get(key, key)!s}: {count}",
                )
            )
        labels.append(
            Label(
                round(x + bar_w / 2, 1),
                height - 6,
                f"{column[5:]}/{column[2:4]}" if len(column) == 7 else column,
            )
        )
    legend = [(f"bar{i % 7}", str(names.get(k, k))) for i, k in enumerate(keys)]
    return BarChart(width, height, rects, labels, legend, maximum)


def last_months(today_year: int, today_month: int, count: int = 12) -> list[str]:
    """``count`` month keys "YYYY-MM" ending with the given month, oldest first."""
    out = []
    year, month = today_year, today_month
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))
