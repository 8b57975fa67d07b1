"""The package's layering: no import cycle among its modules, imports inside functions and
under ``TYPE_CHECKING`` included; stages that know no files nor terminals; one home for each
shared name."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "tracklayer"


def _modules() -> dict[str, Path]:
    """Dotted module name to file, for every module of the package."""
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """Every dotted name an ``import`` statement anywhere in the file refers to.

    ``from a.b import c`` yields ``a.b.c`` (a module if ``c`` is one) and ``a.b``; relative
    imports are resolved against the module's package.
    """
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module to the package's modules it imports (a name resolves to its longest module)."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {
            resolve(name)
            for name in _imported_names(module, path)
            if name == PACKAGE or name.startswith(f"{PACKAGE}.")
        }
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as the list of its modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_no_import_cycle() -> None:
    """Dependencies run one way: the import graph of every module (imports inside
    functions and under ``TYPE_CHECKING`` count) has no cycle."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_cycles() -> None:
    """The checker itself: a two-module cycle and a three-module one are found, a chain
    is not."""
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_counts_imports_inside_functions(tmp_path: Path) -> None:
    """An import written inside a function body is an edge of the graph."""
    source = "def f():\n    from tracklayer.raid import run_raid\n    return run_raid\n"
    path = tmp_path / "m.py"
    path.write_text(source)
    assert "tracklayer.raid.run_raid" in set(_imported_names("tracklayer.m", path))


#: Packages of models that import nothing above them: no stage, run, scenario or presenter.
MODELS = ("space", "threats", "sensors", "metrics", "tracking", "fusion", "frames", "constants")
#: What sits above the models.
ABOVE_MODELS = (
    "scenario", "stages", "raid", "losses", "pipeline", "runner", "console", "report",
    "sweep", "service", "exercise", "client", "cli",
)  # fmt: skip


def test_models_import_no_layer_above_them() -> None:
    """The models (physics, sensing, scoring, tracking, fusion) import no stage, run,
    scenario model or presenter, and the tracker and fusion import neither the threats
    nor the sensors: what they know of a raid comes in detections and tracks."""
    graph = import_graph()

    def under(module: str, packages: tuple[str, ...]) -> bool:
        return any(
            module == f"{PACKAGE}.{p}" or module.startswith(f"{PACKAGE}.{p}.") for p in packages
        )

    bad = sorted(
        f"{m} -> {t}"
        for m, targets in graph.items()
        for t in targets
        if (under(m, MODELS) and under(t, ABOVE_MODELS))
        or (under(m, ("tracking", "fusion")) and under(t, ("threats", "sensors")))
    )
    assert not bad, bad


#: Modules the stage layer may not import: files, terminals, plots, SQL presentation.
PRESENTATION = ("rich", "matplotlib", "duckdb", "typer", "tracklayer.io", "tracklayer.report")


@pytest.mark.parametrize(
    "module", sorted(m for m in _modules() if m.startswith(f"{PACKAGE}.stages"))
)
def test_stages_know_no_files_nor_terminals(module: str) -> None:
    """A stage module imports no presentation or file-writing module."""
    path = _modules()[module]
    names = set(_imported_names(module, path))
    bad = sorted(n for n in names if any(n == p or n.startswith(f"{p}.") for p in PRESENTATION))
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("name", ["JOINT", "FUSED", "TRACKS_SCHEMA"])
def test_shared_names_are_defined_once(name: str) -> None:
    """``JOINT``, ``FUSED`` and ``TRACKS_SCHEMA`` are assigned in one module only
    (:mod:`tracklayer.vocabulary`); every other module imports them."""
    homes = []
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                homes.append(module)
    assert homes == ["tracklayer.vocabulary"]


#: Libraries a command line answering --help or validate has no use for.
HEAVY = (
    "scipy",
    "matplotlib",
    "duckdb",
    "dask",
    "distributed",
    "numba",
    "sqlalchemy",
    "fastapi",
    "skyfield",
    "pyarrow",
)


def _loaded_after(code: str) -> list[str]:
    """The heavy libraries in ``sys.modules`` after running ``code`` in a fresh
    interpreter."""
    probe = f"{code}; import sys; print(sorted({{m.split('.')[0] for m in sys.modules}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return sorted(set(HEAVY) & set(loaded))


def test_help_loads_no_heavy_library() -> None:
    """``tracklayer --help`` imports the command line and builds its help: no numerics
    beyond the standard library, plotting, SQL or service library is loaded."""
    code = (
        "from typer.testing import CliRunner; from tracklayer.cli import app; "
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0"
    )
    assert _loaded_after(code) == []


def test_validate_loads_no_heavy_library() -> None:
    """``tracklayer validate`` reads the scenario and builds the space segment without
    SciPy, plotting, DuckDB, Dask, numba, Skyfield or Arrow."""
    demo = SRC / PACKAGE / "examples" / "demo.yaml"
    code = (
        "from typer.testing import CliRunner; from tracklayer.cli import app; "
        f"assert CliRunner().invoke(app, ['validate', {str(demo)!r}]).exit_code == 0"
    )
    assert _loaded_after(code) == []


def test_scenario_files_are_parsed_by_libyaml() -> None:
    """Where PyYAML was built with LibYAML, scenario files are parsed by its C parser (six
    times faster than the pure-Python one on the demo scenario), and the pause of the
    garbage collector over the models' import and validation leaves it as it found it."""
    import gc

    import yaml

    from tracklayer.cli import _collector_paused
    from tracklayer.scenario import _StrictLoader

    assert issubclass(_StrictLoader, yaml.CSafeLoader) or not yaml.__with_libyaml__
    before = gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() == before
    gc.unfreeze()  # the pause froze this test process's objects


#: Longest function body, lines, before it needs a ``# long: reason`` on its ``def`` line.
MAX_FUNCTION_LINES = 80


def _long_functions() -> list[str]:
    """``module:function (lines)`` of every function over :data:`MAX_FUNCTION_LINES`
    without a ``# long:`` reason on its ``def`` line."""
    out = []
    for module, path in _modules().items():
        source = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(source))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES and "# long:" not in source[node.lineno - 1]:
                out.append(f"{module}:{node.name} ({lines})")
    return out


def test_functions_are_short_or_say_why() -> None:
    """Every function is at most 80 lines, or says why beside its ``def``."""
    found = sorted(_long_functions())
    assert not found, f"functions over {MAX_FUNCTION_LINES} lines: {found}"
