# policybot: the same install as the README, in a slim image, as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
RUN pip install ".[postgres]"
COPY feeds.yaml ./feeds.yaml

RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin policybot \
    && mkdir -p /data && chown policybot:policybot /data
USER policybot
VOLUME ["/data"]

# The SQLite archive lives on the volume; set POLICYBOT_DATABASE_URL for PostgreSQL instead.
ENV POLICYBOT_DATABASE_URL=sqlite:////data/policybot.db \
    POLICYBOT_FEEDS_FILE=/app/feeds.yaml

# `policybot run` migrates the database on start and stops cleanly on SIGTERM (docker stop).
CMD ["policybot", "run"]
