"""The package layout is the architecture: every module belongs to a layer, imports only from its own layer and
the layers below it, and nothing imports in a cycle. Imports count wherever they stand in a file (inside a
function, under TYPE_CHECKING), relative ones resolved."""
from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("indexer", "chatbot", "bench", "app.py")

# (module pattern, layer), lowest layer first. "pkg.*" is the package and everything in it; a pattern without
# ".*" is that one module. A module that matches no row fails the test: a new package needs its layer here.
LAYERS: list[tuple[str, int]] = [
    ("indexer.*", 0),  # knowledge base -> index; knows nothing of the chatbot
    ("chatbot.calibration", 1),
    ("chatbot.llm.*", 1),  # chat models
    ("chatbot.records", 2),
    ("chatbot.rag.*", 2),  # answers
    ("chatbot.store.*", 2),  # the progress store (knows nothing of grading or scheduling)
    ("chatbot.interview.*", 3),  # mock interviews
    ("chatbot.ui.*", 4),  # the front ends ...
    ("chatbot.api", 4),
    ("chatbot.cli", 4),
    ("chatbot.eval.*", 4),
    ("chatbot", 4),  # ... and the entry points that wire them together
    ("chatbot.__main__", 4),
    ("app", 4),
    ("bench.*", 4),
]
TOP = 4
# In the top layer the front ends stand side by side: none imports another (what two of them share belongs a
# layer down), except where one is the other's front end (SIBLING_USES). Only an entry point may import several.
FRONT_ENDS = ("chatbot.ui.*", "chatbot.api", "chatbot.cli", "chatbot.eval.*")
ENTRY_POINTS = ("chatbot", "chatbot.__main__", "app", "bench.*")
SIBLING_USES = {
    ("chatbot.cli", "chatbot.eval.*"),  # the eval-* commands print the eval reports: the CLI is their front end
}


def matches(module: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        package = pattern[:-2]
        return module == package or module.startswith(package + ".")
    return module == pattern


def layer_of(module: str) -> int | None:
    return next((layer for pattern, layer in LAYERS if matches(module, pattern)), None)


def unit_of(module: str) -> str:
    """The front end or entry point a top-layer module belongs to (its pattern)."""
    return next((p for p in FRONT_ENDS + ENTRY_POINTS if matches(module, p)), module)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for source in SOURCES:
        path = REPO / source
        for p in ([path] if path.is_file() else sorted(path.rglob("*.py"))):
            files[_module_name(p)] = p
    return files


def _base_of_relative(module: str, is_package: bool, level: int) -> str:
    """The package a `from .` (level 1), `from ..` (level 2), … import in `module` starts from."""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    return ".".join(parts[: len(parts) - (level - 1)])


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name `module` imports, at any depth of the file, relative imports made absolute; a
    `from package import name` counts both `package` and `package.name` (which may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _base_of_relative(module, path.name == "__init__.py", node.level)
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{a.name}" for a in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports."""
    files = source_files()
    return {name: {t for t in imported_names(name, path) if t in files and t != name} for name, path in files.items()}


def layer_violations(graph: dict[str, set[str]], layer: Callable[[str], int | None] = layer_of) -> list[str]:
    """What breaks the layering in `graph`: a module without a layer, an import of a higher layer, and in the top
    layer a front end importing another front end or an entry point."""
    problems = [f"{m}: no layer (add it to LAYERS in tests/test_architecture.py)"
                for m in sorted(graph) if layer(m) is None]
    for module in sorted(graph):
        own = layer(module)
        for target in sorted(graph[module]):
            theirs = layer(target)
            if own is None or theirs is None:
                continue
            if theirs > own:
                problems.append(f"{module} (layer {own}) imports {target} (layer {theirs})")
            elif own == theirs == TOP and unit_of(module) != unit_of(target) and \
                    not any(matches(module, p) for p in ENTRY_POINTS) and \
                    (unit_of(module), unit_of(target)) not in SIBLING_USES:
                problems.append(f"{module} imports {target}: front ends do not import each other or entry points")
    return problems


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


# ----------------------------------------------------------------------------- the checks on small graphs

def test_find_cycle_detects_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layer_check_fails_on_an_import_of_a_higher_layer():
    graph = {"chatbot.rag.retriever": {"chatbot.interview.judge", "indexer.text"}, "chatbot.interview.judge": set(),
             "indexer.text": set()}
    assert layer_violations(graph) == [
        "chatbot.rag.retriever (layer 2) imports chatbot.interview.judge (layer 3)"]
    assert layer_violations({"indexer.config": {"chatbot.llm.config"}, "chatbot.llm.config": set()}) == [
        "indexer.config (layer 0) imports chatbot.llm.config (layer 1)"]


def test_layer_check_keeps_the_front_ends_apart():
    graph = {"chatbot.cli": {"chatbot.ui.texts", "chatbot.eval.facts"}, "chatbot.ui.texts": set(),
             "chatbot.api": {"app"}, "app": set(), "chatbot.eval.facts": {"chatbot.cli"}}
    assert layer_violations(graph) == [
        "chatbot.api imports app: front ends do not import each other or entry points",
        "chatbot.cli imports chatbot.ui.texts: front ends do not import each other or entry points",
        "chatbot.eval.facts imports chatbot.cli: front ends do not import each other or entry points"]
    entry_points = {"app": {"chatbot.ui.chat", "chatbot.api"}, "bench.bench_load": {"chatbot.ui.rendering"},
                    "chatbot.ui.chat": {"chatbot.ui.rendering", "chatbot.rag.answerer"}, "chatbot.api": set(),
                    "chatbot.ui.rendering": set(), "chatbot.rag.answerer": set()}
    assert layer_violations(entry_points) == []


def test_layer_check_fails_on_a_module_without_a_layer():
    assert layer_violations({"chatbot.search.engine": set()}) == [
        "chatbot.search.engine: no layer (add it to LAYERS in tests/test_architecture.py)"]
    assert layer_of("chatbot.recordsx") is None and layer_of("chatbot.llm") == 1 and layer_of("chatbot") == TOP


def test_relative_imports_are_resolved(tmp_path):
    init, module = tmp_path / "__init__.py", tmp_path / "mod.py"
    init.write_text("from . import warmup\nfrom .config import RAGConfig\n", encoding="utf-8")
    module.write_text("def f():\n    from ..interview import judge\n", encoding="utf-8")
    assert {"chatbot.rag", "chatbot.rag.warmup", "chatbot.rag.config", "chatbot.rag.config.RAGConfig"} == \
        imported_names("chatbot.rag", init)
    assert {"chatbot.interview", "chatbot.interview.judge"} == imported_names("chatbot.rag.retriever", module)


# ----------------------------------------------------------------------------- the project itself

def test_every_module_has_a_layer_and_imports_only_downwards():
    graph = import_graph()
    assert {"app", "bench.bench_load", "indexer.config", "chatbot.rag.warmup", "chatbot.__main__"} <= set(graph)
    assert layer_violations(graph) == []


def test_no_import_cycles():
    graph = import_graph()
    # a package's __init__ importing its own submodules is how it re-exports them, not a cycle of logic
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    assert find_cycle(graph) is None


def test_ui_is_the_only_chatbot_layer_that_renders_markdown():
    graph = import_graph()
    users = {m for m, deps in graph.items() if "chatbot.ui.rendering" in deps and m.startswith("chatbot")}
    assert users <= {m for m in graph if m.startswith("chatbot.ui")}
