#!/usr/bin/env bash
# A portal team's first step, checked: generate TypeScript types from openapi/quay-gateway.v1.json with
# openapi-typescript and type-check a small usage file with tsc (both pinned in
# tests/QuayGateway.Tests/Client/typescript/package-lock.json; `npm ci` there first, as .ci/run does).
# Exits non-zero when either step fails. ClientGenerationTests runs it, so CI counts it.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=tests/QuayGateway.Tests/Client/typescript
if [ ! -x "$tools/node_modules/.bin/openapi-typescript" ] || [ ! -x "$tools/node_modules/.bin/tsc" ]; then
  echo "openapi-typescript and typescript are not installed: run 'npm ci --prefix $tools'" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$tools/usage.ts" "$tools/tsconfig.json" "$work/"
"$tools/node_modules/.bin/openapi-typescript" openapi/quay-gateway.v1.json --output "$work/quay-gateway.ts" --silent
# tsc from the pinned install; the lib files it checks against come with it.
(cd "$work" && "$OLDPWD/$tools/node_modules/.bin/tsc" --project tsconfig.json)
echo "openapi-typescript types: $(grep -c '' "$work/quay-gateway.ts") lines; usage.ts type-checks"
