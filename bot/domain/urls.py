"""Item URLs: resolved against the feed, stripped of tracking parameters.

Two forms: ``canonical_url`` is still a working link (kept for display and for Discord),
``story_url`` is a comparison key that also forgets the scheme, ``www.`` and a trailing
slash, for spotting the same article in two feeds.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_plus, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "smid",
        "guccounter",
        "ref",
        "ref_src",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "spm",
        "ito",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def resolve_link(base: str, link: str | None) -> str | None:
    """An absolute http(s) URL for ``link`` read in a feed at ``base``; None if it is not one."""
    if not link or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        return None
    return absolute


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and not is_tracking_parameter(unquote_plus(piece.split("=", 1)[0]))
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", "&".join(kept), ""))


def story_url(url: str) -> str:
    """A comparison key: canonical, then scheme-less, ``www.``-less, sorted, no trailing slash."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/") or ""
    while "//" in path:
        path = path.replace("//", "/")
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{host}{path}" + (f"?{query}" if query else "")
