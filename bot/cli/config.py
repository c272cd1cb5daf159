"""``policybot config``: the settings in effect, as an operator checks them.

Every setting with its environment variable, its value and its default, read the way
``policybot run`` reads them (environment, then ``.env``); the token is never printed and a
database URL's password is hidden.
"""

from __future__ import annotations

import argparse

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.settings import Settings, environment_name


async def config_command(args: argparse.Namespace, settings: Settings) -> int:
    rows = [
        (environment_name(name), _shown(name, getattr(settings, name)), _shown(name, field.default))
        for name, field in Settings.model_fields.items()
    ]
    width = max(len(variable) for variable, _, _ in rows)
    for variable, value, default in rows:
        note = "" if value == default else f"  (default: {default})"
        print(f"{variable.ljust(width)}  {value}{note}")
    return 0


def _shown(name: str, value: object) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, SecretStr):
        return "(set, hidden)"
    if name == "database_url":
        return make_url(str(value)).render_as_string(hide_password=True)
    return str(value)
