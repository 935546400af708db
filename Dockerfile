# Convene: `docker build -t convene .` then `docker run -p 3000:3000 --env-file .env convene`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY scheduler scheduler
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/convene.db CONVENE_KEY_FILE=/data/convene.key PORT=3000 HOST=0.0.0.0
COPY --from=build /install /usr/local
RUN useradd --system --create-home --uid 10001 convene && mkdir /data && chown convene /data
USER convene
WORKDIR /home/convene
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)"
CMD ["convene", "serve"]
