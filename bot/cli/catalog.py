"""``policybot catalog unknown``: the laws the archive names that the catalog does not know."""

from __future__ import annotations

import argparse

from bot.composition import open_application
from bot.domain.unknown_laws import UnknownLaw
from bot.settings import Settings


async def catalog_unknown_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        found = await app.catalog_review.unknown_laws(limit=args.limit)
    print(unknown_laws_text(found))
    return 0


def unknown_laws_text(found: tuple[UnknownLaw, ...]) -> str:
    if not found:
        return "No unknown law names in the relevant items."
    lines = [
        "Laws named in relevant items that the catalog does not know (most mentioned first).",
        "Add them to the catalog file (POLICYBOT_CATALOG_FILE), then run policybot reanalyse.",
        "",
    ]
    for law in found:
        items = f"{law.items} item{'' if law.items == 1 else 's'}"
        lines.append(f"  {law.name} ({items})")
        lines.append(f"    \u201c{law.sample}\u201d")
        lines.append(f"    {law.title} <{law.url or 'no link'}>")
    return "\n".join(lines)
