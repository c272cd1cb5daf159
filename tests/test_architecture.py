"""The dependency rules: the core is pure, each layer imports only those below it, and only
the chat layer knows Discord."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bot"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: p.name)
def test_domain_imports_only_the_standard_library_and_itself(path: Path) -> None:
    foreign = {
        name
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names and not name.startswith("bot.domain")
    }
    assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_domain_never_reads_the_clock() -> None:
    for path in _modules("domain"):
        source = path.read_text(encoding="utf-8")
        for call in ("datetime.now(", ".utcnow(", "time.time(", "date.today("):
            assert call not in source, f"{path.name} calls {call}: pass time in instead"


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in PACKAGE.rglob("*.py")
        if "chat" not in p.relative_to(PACKAGE).parts and p.name != "composition.py"
    ],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_only_the_chat_layer_imports_discord(path: Path) -> None:
    assert not any(name.split(".")[0] == "discord" for name in _imports(path))


# Which of policybot's own packages each part may import. Data flows one way: the edges
# (command line, Discord, the service loop) call the facade, the facade runs the use cases
# over the adapters, and everything rests on the pure domain. ``composition`` is the root
# that builds everything, so it may import anything.
LEAVES = {"domain", "errors"}
ALLOWED = {
    "domain": set(),
    "errors": {"domain"},
    "settings": {"errors"},
    "log": set(),
    "catalog": LEAVES | {"ingest"},  # the YAML loader it shares with feeds.yaml
    "storage": LEAVES,
    "ingest": LEAVES,
    "polling": LEAVES | {"storage", "ingest"},
    "app": LEAVES | {"polling", "storage", "ingest", "catalog"},
    "chat": LEAVES | {"app", "settings"},
    "service": LEAVES | {"app", "chat", "settings"},
    "cli": LEAVES | {"app", "composition", "service", "settings", "catalog"},
}
# Database administration is the one command family that needs the storage layer itself.
EXCEPTIONS = {"cli/db.py": {"storage"}}


def _part(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _own_imports(path: Path) -> set[str]:
    return {
        name.split(".")[1]
        for name in _imports(path)
        if name.startswith("bot.") and len(name.split(".")) > 1
    }


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PACKAGE.rglob("*.py")) if _part(p) in ALLOWED],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_each_layer_imports_only_the_layers_below_it(path: Path) -> None:
    part = _part(path)
    allowed = ALLOWED[part] | EXCEPTIONS.get(str(path.relative_to(PACKAGE)), set()) | {part}
    reaching_up = _own_imports(path) - allowed
    assert not reaching_up, f"{path.relative_to(PACKAGE)} imports bot.{sorted(reaching_up)}"


def test_every_part_of_the_package_has_a_place_in_the_layers() -> None:
    parts = {_part(p) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__", "composition"}
    assert parts <= set(ALLOWED), f"add {sorted(parts - set(ALLOWED))} to ALLOWED"
