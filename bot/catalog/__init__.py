"""Reads the catalog YAML (shipped ``catalog.yaml`` plus an optional operator file).

Format (every key but ``id`` and ``name`` is optional)::

    companies:
      - id: meta                      # stable id, lowercase letters, digits and hyphens
        name: Meta
        aliases: [Meta Platforms, Facebook]   # matched case-sensitively, as whole words
        context_aliases: [X]          # ambiguous names, trusted only with a context word
        context: [Musk, Twitter]      # ... one of these anywhere in the same text
        executives:                   # people whose words count for the company
          - {name: Joel Kaplan, role: Chief Global Affairs Officer, aliases: [Kaplan]}
    laws:
      - id: eu-ai-act
        name: EU AI Act
        aliases: [AI Act]             # case-insensitive (all-capital aliases like GDPR: exact)
        patterns: ["EU's AI (?:law|rules)"]   # Python regular expressions, case-insensitive
        jurisdiction: EU
        parent: eu-regulation         # the id of a broader target
        generic: false                # true for "regulation in general" targets
        governs_ai: true              # false for laws that make a text relevant only near AI
        opposing_supports: null       # opposing this target counts as support for that id
        kind: law                     # law, code, order or concept: what "the bill" can name
    vocabulary:
      ai_terms: [AI, deepfakes, automated decision systems]
      governance_terms: [regulation, bill, watchdog]

An operator file (``POLICYBOT_CATALOG_FILE``) has the same format; its entries are added, and an
entry whose id is already known replaces the shipped one. Errors name the file, the entry and the
field: ``catalog.yaml: company 3 (aliases): expected a list of strings``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.domain.catalog import LAW_KINDS, Catalog, Company, Executive, Law, Vocabulary
from bot.errors import PolicybotError
from bot.ingest.yaml_loader import load_yaml

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class CatalogError(PolicybotError):
    """A catalog file is unreadable or invalid; nothing from it was loaded."""

    def __init__(self, path: str, reason: str, *, entry: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.entry = entry
        where = f"{path}: {entry}" if entry else path
        super().__init__(f"{where}: {reason}")


def load_catalog(extension: Path | None = None) -> Catalog:
    """The shipped catalog, merged with the operator's file when one is named."""
    shipped = resources.files("bot.catalog").joinpath("catalog.yaml").read_text(encoding="utf-8")
    catalog = parse_catalog(shipped, source="catalog.yaml")
    if extension is not None:
        try:
            text = extension.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(str(extension), f"cannot be read ({exc.strerror})") from exc
        catalog = catalog.merged_with(parse_catalog(text, source=str(extension)))
    _check_references(catalog, source=str(extension) if extension else "catalog.yaml")
    return catalog


def parse_catalog(text: str, *, source: str = "catalog.yaml") -> Catalog:
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise CatalogError(source, f"not valid YAML ({exc})") from exc
    if data is None:
        return Catalog()
    if not isinstance(data, dict):
        raise CatalogError(source, "expected a mapping with companies, laws and vocabulary")
    unknown = set(data) - {"companies", "laws", "vocabulary"}
    if unknown:
        raise CatalogError(source, f"unknown section(s) {', '.join(sorted(unknown))}")
    companies = tuple(
        _company(entry, _Where(source, f"company {n}"))
        for n, entry in enumerate(_list(data.get("companies"), _Where(source, "companies")), 1)
    )
    laws = tuple(
        _law(entry, _Where(source, f"law {n}"))
        for n, entry in enumerate(_list(data.get("laws"), _Where(source, "laws")), 1)
    )
    vocabulary = _vocabulary(data.get("vocabulary") or {}, _Where(source, "vocabulary"))
    _check_unique([c.id for c in companies], source, "company")
    _check_unique([law.id for law in laws], source, "law")
    return Catalog(companies, laws, vocabulary)


class _Where:
    def __init__(self, source: str, entry: str) -> None:
        self.source = source
        self.entry = entry

    def error(self, reason: str, field: str | None = None) -> CatalogError:
        entry = f"{self.entry} ({field})" if field else self.entry
        return CatalogError(self.source, reason, entry=entry)


def _company(entry: Any, where: _Where) -> Company:
    data = _mapping(
        entry,
        where,
        {"id", "name", "aliases", "executives", "context_aliases", "context"},
    )
    executives = tuple(
        _executive(item, _Where(where.source, f"{where.entry} executive {n}"))
        for n, item in enumerate(_list(data.get("executives"), where, "executives"), 1)
    )
    return Company(
        id=_id(data, where),
        name=_text(data.get("name"), where, "name"),
        aliases=_strings(data.get("aliases"), where, "aliases"),
        executives=executives,
        context_aliases=_strings(data.get("context_aliases"), where, "context_aliases"),
        context=_strings(data.get("context"), where, "context"),
    )


def _executive(entry: Any, where: _Where) -> Executive:
    data = _mapping(entry, where, {"name", "role", "aliases"})
    return Executive(
        name=_text(data.get("name"), where, "name"),
        role=_text(data.get("role", ""), where, "role", required=False),
        aliases=_strings(data.get("aliases"), where, "aliases"),
    )


def _law(entry: Any, where: _Where) -> Law:
    data = _mapping(
        entry,
        where,
        {
            "id",
            "name",
            "aliases",
            "patterns",
            "jurisdiction",
            "parent",
            "generic",
            "governs_ai",
            "opposing_supports",
            "kind",
        },
    )
    patterns = _strings(data.get("patterns"), where, "patterns")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise where.error(f"not a regular expression: {pattern!r} ({exc})", "patterns") from exc
    parent = data.get("parent")
    supports = data.get("opposing_supports")
    kind = _text(data.get("kind", "law"), where, "kind")
    if kind not in LAW_KINDS:
        raise where.error(f"{kind!r} is not one of {', '.join(LAW_KINDS)}", "kind")
    return Law(
        id=_id(data, where),
        name=_text(data.get("name"), where, "name"),
        aliases=_strings(data.get("aliases"), where, "aliases"),
        patterns=patterns,
        jurisdiction=_text(data.get("jurisdiction", ""), where, "jurisdiction", required=False),
        parent=None if parent is None else _text(parent, where, "parent"),
        generic=_flag(data.get("generic", False), where, "generic"),
        governs_ai=_flag(data.get("governs_ai", True), where, "governs_ai"),
        opposing_supports=None if supports is None else _text(supports, where, "opposing_supports"),
        kind=kind,
    )


def _vocabulary(entry: Any, where: _Where) -> Vocabulary:
    data = _mapping(entry, where, {"ai_terms", "governance_terms"})
    return Vocabulary(
        ai_terms=_strings(data.get("ai_terms"), where, "ai_terms"),
        governance_terms=_strings(data.get("governance_terms"), where, "governance_terms"),
    )


def _check_references(catalog: Catalog, *, source: str) -> None:
    known = {law.id for law in catalog.laws}
    for n, law in enumerate(catalog.laws, 1):
        for field, ref in (("parent", law.parent), ("opposing_supports", law.opposing_supports)):
            if ref is not None and ref not in known:
                raise CatalogError(source, f"unknown law id {ref!r}", entry=f"law {n} ({field})")


def _check_unique(ids: list[str], source: str, kind: str) -> None:
    seen: set[str] = set()
    for n, entry_id in enumerate(ids, 1):
        if entry_id in seen:
            raise CatalogError(source, f"duplicate id {entry_id!r}", entry=f"{kind} {n} (id)")
        seen.add(entry_id)


def _mapping(entry: Any, where: _Where, keys: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise where.error("expected a mapping")
    unknown = set(entry) - keys
    if unknown:
        raise where.error(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    return entry


def _list(value: Any, where: _Where, field: str | None = None) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise where.error("expected a list", field)
    return value


def _id(data: dict[str, Any], where: _Where) -> str:
    value = _text(data.get("id"), where, "id")
    if not _ID.match(value):
        raise where.error(f"{value!r} is not an id (lowercase letters, digits, hyphens)", "id")
    return value


def _text(value: Any, where: _Where, field: str, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise where.error("expected a non-empty string" if required else "expected a string", field)
    return value.strip()


def _strings(value: Any, where: _Where, field: str) -> tuple[str, ...]:
    if value is not None and not isinstance(value, list):
        raise where.error("expected a list of strings", field)
    items = _list(value, where, field)
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise where.error("expected a list of strings", field)
    return tuple(item.strip() for item in items)


def _flag(value: Any, where: _Where, field: str) -> bool:
    if not isinstance(value, bool):
        raise where.error("expected true or false", field)
    return value
