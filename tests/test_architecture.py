"""Structural guards: no import cycles, no oversized modules, discord only in its front end."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "retrieval", "model")
MAX_LINES = 400


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)


def _ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def find_cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """Return one import cycle among our modules as a closed path, or None."""
    modules = sorted(m for m in graph.modules if _ours(m))
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in modules:
        if start in state:
            continue
        path = [start]
        state[start] = 1
        stack = [iter(sorted(n for n in graph.find_modules_directly_imported_by(start) if _ours(n)))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(n for n in graph.find_modules_directly_imported_by(nxt) if _ours(n))))
    return None


def test_find_cycle_detects_a_cycle() -> None:
    g = grimp.ImportGraph()
    for name in ("bot", "bot.a", "bot.b", "bot.c"):
        g.add_module(name)
    g.add_import(importer="bot.a", imported="bot.b")
    g.add_import(importer="bot.b", imported="bot.c")
    assert find_cycle(g) is None
    g.add_import(importer="bot.c", imported="bot.a")
    assert find_cycle(g) == ["bot.a", "bot.b", "bot.c", "bot.a"]


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_only_the_discord_front_end_imports_discord(graph: grimp.ImportGraph) -> None:
    importers = graph.find_modules_that_directly_import("discord")
    home = "bot.frontends.discord"
    outside = sorted(m for m in importers if m != home and not m.startswith(home + "."))
    assert outside == [], f"modules outside bot.frontends.discord import discord: {outside}"


def test_no_module_over_400_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert sizes, "no modules found"
    too_big = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert too_big == {}, f"modules over {MAX_LINES} lines: {too_big}"
