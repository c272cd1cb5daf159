"""One analyser for the pure tests: compiling the shipped catalog takes a few milliseconds."""

from __future__ import annotations

import pytest

from bot.catalog import load_catalog
from bot.domain.analysis import Analyser
from bot.domain.catalog import Catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def analyser(catalog: Catalog) -> Analyser:
    return Analyser(catalog)
