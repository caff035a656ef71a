# policy-tracker worker image: `docker build -t policy-tracker .` (see docs/deploy.md).
# The archive and the SQLite state live on the /data volume; with TRACKER_DB set to a
# postgresql:// URL and TRACKER_ARCHIVE_REMOTE to a git remote, the container's disk can be lost.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git keeps the archive's history and pushes it to the remote (issue 11).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --user-group tracker \
    && mkdir -p /data \
    && chown tracker:tracker /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY tracker ./tracker
RUN pip install .
COPY config ./config

USER tracker
ENV TRACKER_CONFIG=/app/config \
    TRACKER_ARCHIVE=/data/snapshots \
    TRACKER_DB=sqlite:////data/state.sqlite3
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]

CMD ["tracker", "run", "--health-host", "0.0.0.0", "--health-port", "8080"]
