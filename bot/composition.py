"""The composition root: every long-lived resource is built here, once, and passed down.

Settings come in from ``bot.__main__``; the engine, the HTTP session, the scheduler and the
Discord client are created here and handed to the objects that use them. Nothing in the
package builds a resource at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import Application
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory


@asynccontextmanager
async def open_application(settings: Settings) -> AsyncIterator[Application]:
    """Migrate, then build the engine and the facade; dispose of the engine on the way out."""
    await asyncio.to_thread(migrate.upgrade, settings.database)
    engine = make_engine(settings.database)
    try:
        yield Application(make_session_factory(engine))
    finally:
        await engine.dispose()
