"""A pytest plugin: skipped tests summed up as one line per reason.

pytest's own ``-rs`` gives one line per skipping place, so a run without PostgreSQL printed a
hundred lines that all said the same thing; this prints ``SKIPPED 130 tests: <reason>``.
``-r`` in pyproject leaves out ``s`` so the two summaries do not repeat each other.
"""

from __future__ import annotations

from collections import Counter

import pytest
from _pytest.terminal import TerminalReporter


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if not reasons:
        return
    terminalreporter.section("skipped, by reason", sep="-")
    for reason, count in reasons.most_common():
        noun = "test" if count == 1 else "tests"
        terminalreporter.write_line(f"SKIPPED {count} {noun}: {reason}")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Drop skips from ``-r`` (``a`` includes them): this plugin reports them instead."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.reportchars = reporter.reportchars.replace("s", "").replace("S", "")
