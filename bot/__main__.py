"""Entry point: arguments -> settings -> logging -> the chosen command.

``bot.composition`` builds the long-lived resources; this module only starts things and is
the one place where failures become one line and an exit code for the operator: our own
errors and file-system errors (a missing file, a folder that is not there, no permission)
exit 1, Ctrl-C exits 130 with the command's own word on what was kept. Settings (pydantic,
SQLAlchemy's URL parsing) are imported only once the arguments are good: ``--help`` costs no
more than argparse.
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
    import logging
    import os

    from bot.log import configure_logging
    from bot.settings import Settings, unknown_variables

    try:
        settings = Settings.load()
        configure_logging(settings.log_level)
        for name, close in unknown_variables(os.environ):
            hint = f"; did you mean {close}?" if close else ""
            logging.getLogger("bot").warning("unknown setting %s is ignored%s", name, hint)
        return asyncio.run(handler(args, settings))
    except PolicybotError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(describe_os_error(exc))
    except KeyboardInterrupt:
        print(f"policybot: {handler.interrupted}", file=sys.stderr)  # noqa: T201
        return 130


def describe_os_error(exc: OSError) -> str:
    """``cannot open missing.opml: no such file or directory``, with a hint for permissions."""
    reason = (exc.strerror or str(exc)).lower()
    if exc.filename is None:
        return reason
    line = f"cannot use {exc.filename}: {reason}"
    if isinstance(exc, PermissionError):
        line += " (this user may not write there; choose another path or fix its owner)"
    return line


def _fail(message: str) -> int:
    # The first line only: SQLAlchemy appends "(Background on this error at: ...)".
    line = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"policybot: error: {line}", file=sys.stderr)  # noqa: T201 - the operator's one line
    return 1


if __name__ == "__main__":
    sys.exit(main())
