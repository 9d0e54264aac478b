"""The SVG charts: every count stays inside the picture, labels are escaped."""
from __future__ import annotations

import re

from bot.frontends.console import charts


def test_the_longest_bar_keeps_its_count_inside_the_chart() -> None:
    svg = charts.hbars([("Billing FAQ", 17), ("Shipping <guide>", 13)], width=560)
    counts = [(float(x), v) for x, v in re.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="11">(\d+)</text>', svg)]
    assert [v for _, v in counts] == ["17", "13"]
    assert all(x + 8 * len(v) <= 560 for x, v in counts)  # room for the digits
    assert "Shipping &lt;guide&gt;" in svg and "<guide>" not in svg
