"""The dependency rule: the core is pure, and only the chat layer knows Discord."""

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
