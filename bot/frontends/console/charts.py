"""Charts as inline SVG strings built on the server (no JavaScript); every label is escaped."""
from __future__ import annotations

from html import escape


def bars(points: list[tuple[str, int]], *, width: int = 560, height: int = 160, title: str = "") -> str:
    top = max((v for _, v in points), default=0) or 1
    step = width / max(1, len(points))
    rects = []
    for i, (label, value) in enumerate(points):
        h = (height - 30) * value / top
        x = i * step
        rects.append(f'<rect x="{x + 2:.1f}" y="{height - 20 - h:.1f}" width="{max(1.0, step - 4):.1f}" '
                     f'height="{h:.1f}" fill="#5865f2"><title>{escape(label)}: {value}</title></rect>')
    labels = ""
    if points:
        labels = (f'<text x="0" y="{height - 5}" font-size="10">{escape(points[0][0])}</text>'
                  f'<text x="{width}" y="{height - 5}" font-size="10" text-anchor="end">{escape(points[-1][0])}</text>')
    return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(rects)}{labels}</svg>')


def share(parts: list[tuple[str, int, str]], *, width: int = 560, height: int = 28, title: str = "") -> str:
    """One horizontal bar split by share: (label, value, colour)."""
    total = sum(v for _, v, _ in parts) or 1
    x = 0.0
    out = []
    for label, value, colour in parts:
        w = width * value / total
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour}">'
                   f'<title>{escape(label)}: {value}</title></rect>')
        x += w
    return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(out)}</svg>')


def hbars(points: list[tuple[str, int]], *, width: int = 560, title: str = "") -> str:
    top = max((v for _, v in points), default=0) or 1
    row = 22
    out = []
    for i, (label, value) in enumerate(points):
        w = (width - 260) * value / top  # 40 px stay free for the count after the longest bar
        y = i * row
        out.append(f'<text x="0" y="{y + 15}" font-size="12">{escape(label[:32])}</text>'
                   f'<rect x="220" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="#3ba55d"/>'
                   f'<text x="{224 + w:.1f}" y="{y + 15}" font-size="11">{value}</text>')
    height = max(row, row * len(points))
    return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(out)}</svg>')
