"""Entry point: arguments -> settings -> logging -> the chosen command.

``bot.composition`` builds the long-lived resources; this module only starts things and
turns expected failures into one line for the operator. Settings (pydantic, SQLAlchemy's URL
parsing) are imported only once the arguments are good: ``--help`` costs no more than argparse.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.cli import HandlerRef, build_parser
from bot.errors import PolicybotError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: HandlerRef = args.handler
    import asyncio

    from bot.log import configure_logging
    from bot.settings import Settings

    try:
        settings = Settings.load()
        configure_logging(settings.log_level)
        return asyncio.run(handler(args, settings))
    except PolicybotError as exc:
        print(f"policybot: error: {exc}", file=sys.stderr)  # noqa: T201 - the operator's one line
        return 1


if __name__ == "__main__":
    sys.exit(main())
