"""The test run's own output: skips read as one line per reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SKIPPING = """
import pytest

def test_a():
    pytest.skip("no server")

def test_b():
    pytest.skip("no server")

@pytest.mark.parametrize("n", range(3))
def test_c(n):
    pytest.skip("no shared folder")
"""


def test_skips_are_grouped_into_one_line_per_reason(tmp_path: Path) -> None:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-ra",
            "-p",
            "tests.support.skip_summary",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(tmp_path),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped == ["SKIPPED 3 tests: no shared folder", "SKIPPED 2 tests: no server"]
