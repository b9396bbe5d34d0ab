#!/usr/bin/env bash
# Run every test of the workspace on both backends.
#
# Starts a throw-away SecantusDB server (a MongoDB-compatible server from
# PyPI, installed once into .venv-mongo and reused) on a free port with its
# data in a fresh directory under .mongo-data/, exports
# BINCIO_TEST_MONGO_URL for the MongoDB tests, runs cargo test, and stops
# the server again (by PID) whatever happens. Exits with cargo's status.
# Installs chromium + chromium-driver (Debian packages) for the browser
# tests when missing.
# Needs: cargo, python3 (with venv). Works without a terminal (CI=true).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV="$ROOT/.venv-mongo"
SECANTUS_VERSION=0.7.0b3
STARTUP_TIMEOUT=60

if [ ! -x "$VENV/bin/secantusd-py" ]; then
  echo "test.sh: installing SecantusDB==$SECANTUS_VERSION into .venv-mongo" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "SecantusDB==$SECANTUS_VERSION" </dev/null
fi

# The browser tests (bincio-http/tests/web_browser.rs) drive headless
# Chromium over chromedriver, both from Debian's packages: install them
# once when missing (idempotent; nothing else downloads a browser).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing chromium and chromium-driver for the browser tests" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver </dev/null >/dev/null
  else
    echo "test.sh: chromium / chromedriver missing and not installable here (needs root and apt-get);" \
      "the browser tests will fail unless BINCIO_SKIP_BROWSER=1" >&2
  fi
fi

mkdir -p "$ROOT/.mongo-data"
DATA=$(mktemp -d "$ROOT/.mongo-data/run.XXXXXX")
LOG="$DATA/secantusd.log"
"$VENV/bin/secantusd-py" --host 127.0.0.1 --port 0 \
  --storage-path "$DATA/db" >"$LOG" 2>&1 </dev/null &
SERVER_PID=$!

cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$DATA" || true
}
trap cleanup EXIT

PORT=""
deadline=$((SECONDS + STARTUP_TIMEOUT))
while [ -z "$PORT" ]; do
  PORT=$(sed -n 's/.*secantus listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$LOG" | head -n 1)
  [ -n "$PORT" ] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "test.sh: SecantusDB exited during start-up; its log:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "test.sh: SecantusDB did not report its port within ${STARTUP_TIMEOUT}s; its log:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.2
done

export BINCIO_TEST_MONGO_URL="mongodb://127.0.0.1:$PORT"
# The crash tests (bincio-cli/tests/cli_kill.rs) start throw-away servers of
# their own from this binary, so clients killed mid-transaction never touch
# the server the rest of the suite shares.
export BINCIO_TEST_SECANTUS="$VENV/bin/secantusd-py"
unset BINCIO_SKIP_MONGO
echo "test.sh: SecantusDB (pid $SERVER_PID) on $BINCIO_TEST_MONGO_URL" >&2

status=0
cargo test --workspace --all-targets --no-fail-fast || status=$?
cargo test --workspace --doc || status=$?
exit "$status"
