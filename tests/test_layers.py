"""The layer contract (issue 15): a module imports only from its own layer or lower ones, and no module
imports itself back through others.

Every module under src/klimatgraf is parsed with `ast`; every import counts, at any depth (inside
functions and `if TYPE_CHECKING:` too), relative or absolute. Layers, lowest first:

1. base: errors, models, vocabulary, namespaces, config, output, resources (package data), store.*,
   __init__ (only the version)
2. text: swedish, segment, ingest, cover, templatekey, reference
3. pipeline: corpus, extract.*, concepts.*, graph, edition_graph, embed, index.*, profiles, build, validate
4. queries and retrieval: sparql, sparql_guard, editions, retrieval.*, compare, diff, export, evaluate, remote, formats,
   topics, heatmap
5. interfaces: cli.*, serve.*, __main__

A module that is in none of them fails the contract until it is placed here. The checker itself is
tested on a small package written to tmp_path, so the contract cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "klimatgraf"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE

LAYER_NAMES = ("base", "text", "pipeline", "queries and retrieval", "interfaces")
# the first dotted part of a module's name (below the package) → its layer; a package's
# submodules (store.*, cli.*, serve.*, extract.*) share the package's layer
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        ("errors", "models", "vocabulary", "namespaces", "config", "output", "resources", "store", "__init__"), 1
    ),
    **dict.fromkeys(("swedish", "segment", "ingest", "cover", "templatekey", "reference"), 2),
    **dict.fromkeys(
        ("corpus", "extract", "concepts", "graph", "edition_graph", "embed", "index", "profiles", "build", "validate"),
        3,
    ),
    **dict.fromkeys(
        (
            "sparql",
            "sparql_guard",
            "editions",
            "retrieval",
            "compare",
            "diff",
            "export",
            "evaluate",
            "remote",
            "formats",
            "topics",
            "heatmap",
        ),
        4,
    ),
    **dict.fromkeys(("cli", "serve", "__main__"), 5),
}


@dataclass(frozen=True, order=True)
class Import:
    importer: str  # dotted, below the package: "extract.targets", "__init__" for the package itself
    imported: str
    line: int
    where: str = "module"  # "module", "function" (inside a def) or "type-checking" (under if TYPE_CHECKING)


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name (below the package) → file. A package's __init__ is the package's name."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _package_of(name: str, path: Path) -> list[str]:
    """The package a module's relative imports start from, as parts below the root package."""
    if name == "__init__":
        return []
    parts = name.split(".")
    return parts if path.name == "__init__.py" else parts[:-1]


def _resolve(known: Mapping[str, Path], base: list[str], names: Iterable[str]) -> set[str]:
    """Modules that `from <base> import names` loads: a name that is a submodule, else the package."""
    out: set[str] = set()
    for name in names:
        candidate = ".".join([*base, name])
        if candidate in known:
            out.add(candidate)
        else:
            out.add(".".join(base) if base else "__init__")
    return {m if m in known else _nearest(known, m) for m in out}


def _nearest(known: Mapping[str, Path], name: str) -> str:
    parts = name.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts) if parts else "__init__"


def imports(root: Path, package: str = PACKAGE) -> list[Import]:
    """Every import of a module of the package by a module of the package, with its line."""
    known = modules(root)
    found: set[Import] = set()
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        here = _package_of(name, path)
        for node, where in _walk(tree):
            targets: set[str] = set()
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == package:
                        targets.add(_nearest(known, ".".join(parts[1:])) if len(parts) > 1 else "__init__")
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    if node.level - 1 > len(here):
                        continue  # above the package: not ours
                    base = here[: len(here) - (node.level - 1)]
                    base = base + node.module.split(".") if node.module else base
                elif node.module and node.module.split(".")[0] == package:
                    base = node.module.split(".")[1:]
                else:
                    continue
                targets = _resolve(known, base, (alias.name for alias in node.names))
            for target in targets:
                if target != name:
                    found.add(Import(name, target, node.lineno, where))
    return sorted(found)


def _walk(tree: ast.AST, where: str = "module") -> Iterable[tuple[ast.AST, str]]:
    """Every node with where it runs: at import time, only when called, or only for the type checker."""
    for node in ast.iter_child_nodes(tree):
        yield node, where
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for child in node.body:
                yield from _walk(ast.Module(body=[child], type_ignores=[]), "type-checking")
            for child in node.orelse:
                yield from _walk(ast.Module(body=[child], type_ignores=[]), where)
            continue
        inner = where
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and where == "module":
            inner = "function"
        yield from _walk(node, inner)


def layer_of(module: str) -> int | None:
    return LAYERS.get(module.split(".")[0])


def unplaced(root: Path) -> list[str]:
    return [name for name in modules(root) if layer_of(name) is None]


def upward(found: Iterable[Import]) -> list[str]:
    """One line per import that goes to a higher layer."""
    out = []
    for i in found:
        low, high = layer_of(i.importer), layer_of(i.imported)
        if low is not None and high is not None and high > low:
            out.append(
                f"{i.importer} ({LAYER_NAMES[low - 1]}) imports {i.imported} ({LAYER_NAMES[high - 1]}), "
                f"line {i.line}{'' if i.where == 'module' else f' ({i.where})'}"
            )
    return out


def cycles(found: Iterable[Import]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan), each sorted, in sorted order."""
    graph: dict[str, set[str]] = {}
    for i in found:
        graph.setdefault(i.importer, set()).add(i.imported)
        graph.setdefault(i.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def describe_cycles(found: list[Import]) -> list[str]:
    out = []
    for group in cycles(found):
        members = set(group)
        edges = [
            f"{i.importer}→{i.imported} (line {i.line}{'' if i.where == 'module' else ', ' + i.where})"
            for i in found
            if {i.importer, i.imported} <= members
        ]
        out.append(f"cycle {' ↔ '.join(group)}: {', '.join(edges)}")
    return out


# ----------------------------------------------------------------------------- the contract


def test_every_module_is_placed_in_a_layer() -> None:
    missing = unplaced(SOURCE)
    assert not missing, "modules in no layer (add them to LAYERS and the README's Layers):\n" + "\n".join(missing)


def test_no_module_imports_from_a_higher_layer() -> None:
    found = upward(imports(SOURCE))
    assert not found, f"{len(found)} imports go up a layer:\n" + "\n".join(found)


def test_no_import_cycle() -> None:
    found = describe_cycles(imports(SOURCE))
    assert not found, f"{len(found)} import cycles:\n" + "\n".join(found)


def test_the_checker_reads_the_real_package() -> None:
    """The walk finds the package's own imports (a checker that finds nothing passes everything)."""
    found = {(i.importer, i.imported) for i in imports(SOURCE)}
    assert ("cli", "retrieval") in found or any(a.startswith("cli.") for a, _ in found)
    assert ("graph", "namespaces") in found
    assert any(a.startswith("extract.") for a, _ in found)


# ----------------------------------------------------------------------------- the checker


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / PACKAGE
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_checker_reports_an_upward_import_a_cycle_and_an_unplaced_module(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "__version__ = '1'\n",
            "errors.py": "class InputError(Exception):\n    pass\n",
            # upward, and only inside a function: base → interfaces
            "models.py": "def f():\n    from .cli import main\n    return main\n",
            # a cycle within the pipeline, one side at module level, the other in a function
            "graph.py": "from klimatgraf.corpus import load\n",
            "corpus.py": "def load():\n    import klimatgraf.graph\n    return klimatgraf.graph\n",
            "cli/__init__.py": "from .app import main\n",
            "cli/app.py": "from ..retrieval import run\nfrom ..errors import InputError\n\ndef main():\n    return run\n",
            "retrieval.py": "from . import graph\nfrom .extract import targets\n\ndef run():\n    return graph\n",
            "extract/__init__.py": "",
            "extract/targets.py": "from .._helpers import x\nfrom . import _text\n",
            "extract/_text.py": "import os\nfrom typing import Any\n",
            "_helpers.py": "x = 1\n",
        },
    )
    found = imports(package)
    pairs = {(i.importer, i.imported) for i in found}
    assert {
        ("models", "cli"),
        ("graph", "corpus"),
        ("corpus", "graph"),
        ("cli", "cli.app"),
        ("cli.app", "retrieval"),
        ("cli.app", "errors"),
        ("retrieval", "graph"),
        ("retrieval", "extract.targets"),
        ("extract.targets", "_helpers"),
        ("extract.targets", "extract._text"),
    } == pairs
    assert upward(found) == ["models (base) imports cli (interfaces), line 2 (function)"]
    assert cycles(found) == [["corpus", "graph"]]
    assert describe_cycles(found) == ["cycle corpus ↔ graph: corpus→graph (line 2, function), graph→corpus (line 1)"]
    assert unplaced(package) == ["_helpers"]


def test_checker_finds_a_longer_cycle_and_accepts_downward_imports(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "sparql.py": "from .retrieval import a\n",
            "retrieval.py": "from .diff import b\na = 1\n",
            "diff.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import sparql\nb = 2\n",
            "graph.py": "from .errors import E\n",
            "errors.py": "E = 1\n",
        },
    )
    found = imports(package)
    assert cycles(found) == [["diff", "retrieval", "sparql"]]
    assert [i.where for i in found if i.importer == "diff"] == ["type-checking"]
    assert upward(found) == [] and unplaced(package) == []
