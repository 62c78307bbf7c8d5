"""Who imports whom inside app/: the layering rule, the check, and the diagram in docs/ARCHITECTURE.md.

    .venv/bin/python scripts/import_graph.py          # print violations and the diagram
    .venv/bin/python scripts/import_graph.py --write  # rewrite the diagram block in docs/ARCHITECTURE.md

tests/test_architecture.py runs the same checks in `make lint`, and fails when the diagram in the
docs no longer matches the code.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
START, END = "<!-- import-graph:start -->", "<!-- import-graph:end -->"

# Each unit of app/ (a package, or a top-level module) and its layer. A unit may import units of
# its own layer or below, never above. Shared infrastructure knows no feature; the people layer
# (accounts, the audit trail, personal data) knows no contest; contests know no round or event;
# judging and events know contests but not each other; exports read everything; the app factory,
# the admin screens, the home page and the demo data sit on top.
LAYERS: dict[str, int] = {
    "errors": 0,
    "text": 0,
    "tokens": 0,
    "localtime": 0,
    "types": 0,
    "urls": 0,
    "features": 0,
    "extensions": 0,
    "database": 0,
    "forms": 0,
    "mail": 0,
    "queue": 0,
    "spreadsheet": 0,
    "fonts": 0,
    "shared_cache": 0,
    "accounts": 1,
    "audit": 1,
    "privacy": 1,
    "jobs": 1,
    "contests": 2,
    "judging": 3,
    "events": 3,
    "exports": 4,
    "live": 4,
    "programmes": 4,
    "certificates": 4,
    "agenda": 4,
    "booths": 4,
    "admin": 5,
    "core": 5,
    "demo": 5,
    "observability": 5,
    "app": 6,  # app/__init__.py, the factory
}
LAYER_NAMES = {
    0: "shared infrastructure",
    1: "people",
    2: "contests",
    3: "rounds and events",
    4: "exports",
    5: "screens and demo",
    6: "app factory",
}
# Units of one layer that must not import each other.
INDEPENDENT = {frozenset({"judging", "events"})}


@dataclass(frozen=True)
class Import:
    source: str  # module, e.g. app.judging.views
    target: str  # module or package imported, e.g. app.contests.services
    line: int
    top_level: bool  # executed when the module is imported (not inside a function or TYPE_CHECKING)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str, modules: set[str]) -> str:
    """`from app.x import y`: the module y if it is one, else the module x."""
    return name if name in modules else name.rsplit(".", 1)[0]


def imports() -> list[Import]:
    files = sorted(APP.rglob("*.py"))
    modules = {module_name(f) for f in files}
    found: list[Import] = []

    def visit(node: ast.AST, source: str, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "app" or alias.name.startswith("app."):
                        found.append(Import(source, alias.name, child.lineno, top))
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                if child.module == "app" or child.module.startswith("app."):
                    for alias in child.names:
                        target = _resolve(f"{child.module}.{alias.name}", modules)
                        found.append(Import(source, target, child.lineno, top))
            elif (
                isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                or isinstance(child, ast.If)
                and _is_type_checking(child)
            ):
                visit(child, source, False)
            else:
                visit(child, source, top)

    for path in files:
        visit(ast.parse(path.read_text(encoding="utf-8")), module_name(path), True)
    return found


def unknown_units(found: list[Import]) -> list[str]:
    units = {unit_of(i.source) for i in found} | {unit_of(i.target) for i in found}
    units |= {unit_of(module_name(p)) for p in APP.rglob("*.py") if "translations" not in p.parts}
    return sorted(u for u in units if u not in LAYERS)


def layer_violations(found: list[Import]) -> list[str]:
    problems = []
    for i in found:
        src, dst = unit_of(i.source), unit_of(i.target)
        if src == dst or src not in LAYERS or dst not in LAYERS:
            continue
        if LAYERS[dst] > LAYERS[src]:
            problems.append(
                f"{i.source}:{i.line} imports {i.target}: {src} may not import {dst} (a higher layer)"
            )
        elif frozenset({src, dst}) in INDEPENDENT:
            problems.append(f"{i.source}:{i.line} imports {i.target}: {src} and {dst} are independent")
    return problems


def module_cycles(found: list[Import]) -> list[list[str]]:
    """Cycles among modules through imports that run at import time.

    A blueprint package's __init__ importing its own views (which import `bp` back) is Flask's
    pattern, not a design cycle, so a package's edges to its own submodules are left out.
    """
    graph: dict[str, set[str]] = defaultdict(set)
    for i in found:
        if not i.top_level or i.source == i.target:
            continue
        if i.target.startswith(i.source + "."):
            continue
        graph[i.source].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return cycles


def diagram(found: list[Import]) -> str:
    """A Mermaid flowchart of the feature packages and shared infrastructure, one box per layer."""
    edges = sorted(
        {
            (unit_of(i.source), unit_of(i.target))
            for i in found
            if unit_of(i.source) != unit_of(i.target) and LAYERS.get(unit_of(i.target), 0) > 0
        }
    )
    lines = ["```mermaid", "flowchart BT"]
    for layer in sorted(LAYER_NAMES):
        units = sorted(u for u, n in LAYERS.items() if n == layer)
        lines.append(f'  subgraph L{layer}["{layer}. {LAYER_NAMES[layer]}"]')
        lines.append("    " + " & ".join(units) if layer == 0 else "    " + "\n    ".join(units))
        lines.append("  end")
    lines += [f"  {a} --> {b}" for a, b in edges]
    lines.append("  L1 & L2 & L3 & L4 & L5 --> L0")
    lines.append("```")
    return "\n".join(lines)


def documented() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(START) + len(START) : text.index(END)].strip()


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{diagram(imports())}\n{END}{tail}", encoding="utf-8")


def main() -> int:
    found = imports()
    problems = [f"unit without a layer: {u}" for u in unknown_units(found)]
    problems += layer_violations(found)
    problems += ["import cycle: " + " → ".join(c) for c in module_cycles(found)]
    if "--write" in sys.argv:
        write()
    print("\n".join(problems) or "no layer violations, no import cycles")
    print(diagram(found))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
