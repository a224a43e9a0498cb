"""The patient app's modules: no import cycle, and the service worker caches every one."""

import re
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
IMPORT = re.compile(r"""^\s*import\s+(?:[^;]*?\s+from\s+)?["'](\.{1,2}/[^"']+)["']""", re.M)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in (FRONTEND / "js").rglob("*.js"):
        key = path.relative_to(FRONTEND).as_posix()
        graph[key] = {
            (path.parent / target).resolve().relative_to(FRONTEND).as_posix()
            for target in IMPORT.findall(path.read_text())
        }
    return graph


def test_no_module_imports_the_app_shell():
    graph = _graph()
    importers = sorted(name for name, deps in graph.items() if "js/app.js" in deps)
    assert importers == []


def test_frontend_modules_have_no_import_cycle():
    graph = _graph()
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        assert node not in trail, " -> ".join([*trail, node])
        if node in done:
            return
        for dep in graph.get(node, ()):
            visit(dep, [*trail, node])
        done.add(node)

    for node in graph:
        visit(node, [])
