# syntax=docker/dockerfile:1
# Wirewatch: a two-stage image. The first stage resolves the locked dependencies with uv and
# installs the project into /app/.venv; the second is a plain Python image with that venv only
# (no uv, no compilers), running as an unprivileged user. See docs/deploy.md.

ARG PYTHON_VERSION=3.11

# ---- build: uv installs the locked dependencies, then the project (not editable) ----------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first (a layer that changes only with uv.lock), then the project itself.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project
COPY pyproject.toml uv.lock README.md ./
COPY bot ./bot
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---- runtime ------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 wirewatch \
 && useradd --system --uid 10001 --gid wirewatch --home-dir /app --shell /usr/sbin/nologin wirewatch
WORKDIR /app
COPY --from=build --chown=root:root /app/.venv /app/.venv
# The default config is baked in; mount your own over /app/config (read-only is fine).
COPY --chown=root:root config /app/config
RUN mkdir -p /app/data && chown wirewatch:wirewatch /app/data
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WIREWATCH_CONFIG=/app/config/wirewatch.toml \
    WIREWATCH_WEB_ENABLED=true \
    WIREWATCH_WEB_HOST=0.0.0.0
# SQLite (the default config's ../data/wirewatch.db, relative to /app/config) lives here;
# PostgreSQL needs no volume.
VOLUME ["/app/data"]
USER wirewatch
# 3000: Slack's HTTP mode only ([slack] mode = "http"); Socket Mode and Discord dial out.
# 8080: the [web] server: /healthz, /readyz, /metrics (Prometheus) and the console (sign-in).
EXPOSE 3000 8080
STOPSIGNAL SIGTERM
# Is the process alive and serving? /healthz of the [web] server (turned on above; the port
# follows WIREWATCH_WEB_PORT). Docker reserves exit code 2, so any failure becomes 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('WIREWATCH_WEB_PORT', '8080') + '/healthz', timeout=4)" > /dev/null 2>&1 || exit 1
CMD ["wirewatch", "run"]
