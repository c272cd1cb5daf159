"""The fixed moment tests run at, so dates in assertions never depend on the real clock."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
