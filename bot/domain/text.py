"""Text every database accepts: what comes in from feeds and servers is made storable here.

A feed can carry characters no database stores: a lone UTF-16 surrogate (from a JSON
``"\\ud800"`` escape, or a header byte that is not UTF-8) cannot be encoded as UTF-8 at all,
and PostgreSQL refuses NUL in text. Both are replaced where text enters policybot (the
parser's output, the fetched validators), so no later step meets them.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD and NUL characters removed."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    return _SURROGATE.sub(REPLACEMENT, text)


def is_storable(text: str) -> bool:
    return storable(text) == text
