# policybot: the same install as the README, in a slim image, as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first, read from pyproject.toml alone: a code change rebuilds only the layers
# below, not this (slow) one.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY README.md LICENSE ./
COPY bot ./bot
COPY migrations ./migrations
RUN pip install --no-deps ".[postgres]"
COPY feeds.yaml ./feeds.yaml

RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin policybot \
    && mkdir -p /data && chown policybot:policybot /data
USER policybot
VOLUME ["/data"]

# The SQLite archive lives on the volume; set POLICYBOT_DATABASE_URL for PostgreSQL instead.
# Mount your own list over /app/feeds.yaml (or point POLICYBOT_FEEDS_FILE elsewhere).
ENV POLICYBOT_DATABASE_URL=sqlite:////data/policybot.db \
    POLICYBOT_FEEDS_FILE=/app/feeds.yaml \
    POLICYBOT_HEARTBEAT_FILE=/data/policybot.heartbeat

# Healthy while the database answers and the poll loop stamped the heartbeat recently.
HEALTHCHECK --interval=60s --timeout=15s --start-period=180s --retries=3 \
    CMD ["policybot", "health"]

# `policybot run` migrates the database on start and stops cleanly on SIGTERM (docker stop).
CMD ["policybot", "run"]
