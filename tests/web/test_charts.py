"""The SVG chart geometry is pure: checked by hand-computed values."""

from __future__ import annotations

from tutela.dashboard.charts import last_months, stacked_bars


def test_last_months_cross_the_year() -> None:
    assert last_months(2026, 2, 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_stacked_bars_scale_to_the_tallest_column() -> None:
    chart = stacked_bars(
        ["2026-01", "2026-02"],
        {"access": {"2026-01": 2, "2026-02": 1}, "erasure": {"2026-01": 2}},
        width=236,
        height=134,
    )
    # plot height 134 - 24 - 10 = 100 px for the tallest total (4); slot (236 - 36) / 2 = 100 px, bar 60 px
    assert chart.maximum == 4
    heights = sorted(r.height for r in chart.rects)
    assert heights == [25.0, 50.0, 50.0]
    first = [r for r in chart.rects if r.x == 56.0]
    assert sum(r.height for r in first) == 100.0
    assert [name for _, name in chart.legend] == ["access", "erasure"]
    assert chart.labels[-1].text == "02/26"


def test_empty_chart_has_no_bars() -> None:
    chart = stacked_bars(["2026-01"], {})
    assert chart.maximum == 0 and chart.rects == []
