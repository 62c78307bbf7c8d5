"""The shape of app/: layers, no import cycles, no private calls across modules, rooms of a readable
size, and a dependency diagram in docs/ARCHITECTURE.md that matches the code (scripts/import_graph.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import import_graph  # noqa: E402

MAX_LINES = 800
# One pure pipeline, read top to bottom (docs/ARCHITECTURE.md, "Judging").
LONG_ON_PURPOSE = {"app/judging/scoring.py"}


@pytest.fixture(scope="module")
def found():
    return import_graph.imports()


def test_every_package_has_a_layer(found):
    assert import_graph.unknown_units(found) == [], "add the new unit to LAYERS in scripts/import_graph.py"


def test_no_import_goes_up_a_layer_or_across_independent_packages(found):
    assert import_graph.layer_violations(found) == []


def test_no_import_cycles_between_modules(found):
    assert import_graph.module_cycles(found) == []


def test_the_cycle_check_can_fail():
    fake = [
        import_graph.Import("app.a", "app.b", 1, True),
        import_graph.Import("app.b", "app.c", 1, True),
        import_graph.Import("app.c", "app.a", 1, True),
        import_graph.Import("app.c", "app.d", 1, False),  # inside a function: not a cycle edge
    ]
    assert import_graph.module_cycles(fake) == [["app.a", "app.b", "app.c"]]


def test_the_layer_check_can_fail():
    fake = [
        import_graph.Import("app.contests.services", "app.judging.services", 3, False),
        import_graph.Import("app.judging.views", "app.events.services", 4, True),
        import_graph.Import("app.exports.views", "app.judging.services", 5, True),
    ]
    problems = import_graph.layer_violations(fake)
    assert len(problems) == 2
    assert "contests may not import judging" in problems[0]
    assert "independent" in problems[1]


def test_the_diagram_in_the_docs_matches_the_code(found):
    assert import_graph.documented() == import_graph.diagram(found), (
        "run `.venv/bin/python scripts/import_graph.py --write` and commit docs/ARCHITECTURE.md"
    )


def _modules():
    return sorted(p for p in (ROOT / "app").rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_are_rooms_of_a_readable_size(path):
    rel = str(path.relative_to(ROOT))
    if rel in LONG_ON_PURPOSE:
        return
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{rel} has {lines} lines: split it along its sections"


def private_uses(path: Path) -> list[str]:
    """`module._name` or `from module import _name` where module is another module of app/."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = import_graph.module_name(path)
    module_aliases: dict[str, str] = {}
    problems = []
    modules = {import_graph.module_name(p) for p in _modules()}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("app"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    module_aliases[alias.asname or alias.name] = full
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    problems.append(f"{own}:{node.lineno} imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in modules:
                    module_aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and module_aliases[node.value.id] != own
        ):
            problems.append(f"{own}:{node.lineno} uses {module_aliases[node.value.id]}.{node.attr}")
    return problems


def test_no_private_calls_across_modules():
    problems = [p for path in _modules() for p in private_uses(path)]
    assert problems == []


def test_the_private_call_check_can_fail(tmp_path, monkeypatch):
    source = "from app.contests import services\nfrom app.text import _LINE\nservices._member_of(1, 2)\n"
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    monkeypatch.setattr(import_graph, "module_name", lambda p: "app.core.views" if p == probe else _name(p))
    problems = private_uses(probe)
    assert any("app.text._LINE" in p for p in problems)
    assert any("app.contests.services._member_of" in p for p in problems)


_name = import_graph.module_name
