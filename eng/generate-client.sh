#!/usr/bin/env bash
# Regenerates the .NET client (src/QuayGateway.Client/Generated) from openapi/quay-gateway.v1.json with the Kiota
# version pinned in .config/dotnet-tools.json. Run it after the OpenAPI document changes and commit the result.
#
#   eng/generate-client.sh           rewrite src/QuayGateway.Client/Generated
#   eng/generate-client.sh --check   change nothing; exit 1 (listing the differences) when the committed code is not
#                                    what the document produces. CI runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-write}"
case "$mode" in write|--check) ;; *) echo "usage: $0 [--check]" >&2; exit 2 ;; esac

target=src/QuayGateway.Client/Generated
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet tool restore >/dev/null
# Kiota's input: the document with each operation's problem answers pointing at the shared ProblemDetails schema,
# so every error is one exception type (see eng/client-document.py).
python3 eng/client-document.py openapi/quay-gateway.v1.json "$work/quay-gateway.client.json"
if ! dotnet kiota generate --language CSharp --openapi "$work/quay-gateway.client.json" --output "$work/Generated" \
    --class-name QuayGatewayApiClient --namespace-name QuayGateway.Client --exclude-backward-compatible \
    --clean-output --log-level Error >"$work/kiota.log" 2>&1; then
  cat "$work/kiota.log" >&2
  exit 1
fi
# The lock file records the temporary input's path; the tool manifest and this script already pin what it would.
rm -f "$work/Generated/kiota-lock.json"

if [ "$mode" = --check ]; then
  if diff -r -q "$target" "$work/Generated" >"$work/diff.txt"; then
    echo "$target is what openapi/quay-gateway.v1.json produces"
  else
    sed "s|$work/Generated|(generated)|g" "$work/diff.txt" >&2
    echo "$target differs from what openapi/quay-gateway.v1.json produces: run eng/generate-client.sh and commit" >&2
    exit 1
  fi
else
  rm -rf "$target"
  cp -r "$work/Generated" "$target"
  echo "regenerated $target ($(find "$target" -name '*.cs' | wc -l) files)"
fi
