#!/usr/bin/env bash
# Makes the Python environment the tests use to run real third-party peers (an SMTP server, an
# Open311 client): target/test-python, from scripts/test-requirements.txt. Idempotent and safe to
# run from several tests at once; prints the interpreter's path.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CARGO_TARGET_DIR:-$PWD/target}/test-python"
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
stamp="$dir/.requirements"
if [ ! -x "$dir/bin/python" ] || ! cmp -s scripts/test-requirements.txt "$stamp"; then
  command -v python3 >/dev/null || { echo "error: python3 is required for the test suite's third-party peers" >&2; exit 1; }
  rm -rf "$dir"
  python3 -m venv "$dir" >&2
  "$dir/bin/pip" install -q --disable-pip-version-check -r scripts/test-requirements.txt >&2
  cp scripts/test-requirements.txt "$stamp"
fi
echo "$dir/bin/python"
