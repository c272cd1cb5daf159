"""The fast YAML loader reads what SafeLoader reads and fails in SafeLoader's words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalog import CatalogError, parse_catalog
from bot.errors import FeedsFileError
from bot.ingest.sources import load_feed_sources
from bot.ingest.yaml_loader import FAST_LOADER, load_yaml

REPO = Path(__file__).resolve().parents[2]
BROKEN = [
    "feeds:\n  - {name: A, url: [unclosed\n",
    "companies: [\n",
    "feeds:\n  - name: A\n    url: x: y\n",
    "feeds: 'unterminated\n",
    "\tfeeds: []\n",
    "feeds: *nowhere\n",
    "feeds:\n  - a\n  b: c\n",
    "feeds: !!python/object:os.system x\n",
    "feeds: \x07\n",
]


def _safe_loader_error(text: str) -> yaml.YAMLError:
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.load(text, Loader=yaml.SafeLoader)
    return caught.value


def test_the_c_loader_is_used_when_pyyaml_has_it() -> None:
    assert FAST_LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


@pytest.mark.parametrize("path", ["feeds.yaml", "bot/catalog/catalog.yaml"])
def test_shipped_files_read_the_same_as_with_safe_loader(path: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text", BROKEN)
def test_errors_are_safe_loaders_own(text: str) -> None:
    expected = _safe_loader_error(text)
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml(text)
    assert type(caught.value) is type(expected)
    assert str(caught.value) == str(expected)  # its wording, and its snippet of the line


@pytest.mark.parametrize("text", BROKEN)
def test_feeds_file_and_catalog_messages_are_unchanged(tmp_path: Path, text: str) -> None:
    expected = _safe_loader_error(text)
    mark = getattr(expected, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(expected, "problem", None) or "syntax error"
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FeedsFileError) as feeds:
        load_feed_sources(path)
    assert str(feeds.value) == f"feeds.yaml: not valid YAML{where}: {problem}"
    with pytest.raises(CatalogError) as catalog:
        parse_catalog(text)
    assert str(catalog.value) == f"catalog.yaml: not valid YAML ({expected})"
