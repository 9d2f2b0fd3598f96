#!/usr/bin/env bash
# Emulated AWS for tests: moto's server mode, pinned, in a project-local virtualenv.
#
#   scripts/moto.sh install          # create .venv and install the pinned test tools (idempotent)
#   eval "$(scripts/moto.sh start)"  # start moto on a free loopback port; exports AWS_ENDPOINT_URL etc.
#   scripts/moto.sh stop             # stop it
#   scripts/moto.sh reset            # wipe all emulated state (POST /moto-api/reset)
#
# Why moto 5.1.22: 5.2.x answers S3 GetBucketVersioning with a root element aws-sdk-s3 rejects.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
state="$root/.moto"
py="${PYTHON:-python3}"

install() {
  if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv" >&2
  fi
  if ! cmp -s "$root/scripts/requirements-test.txt" "$venv/.installed" 2>/dev/null; then
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$root/scripts/requirements-test.txt" >&2
    cp "$root/scripts/requirements-test.txt" "$venv/.installed"
  fi
}

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  install
  mkdir -p "$state"
  if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    port="$(cat "$state/port")"
  else
    port="$(free_port)"
    MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
      >"$state/moto.log" 2>&1 &
    echo $! >"$state/pid"
    echo "$port" >"$state/port"
    for _ in $(seq 1 150); do
      if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
        break
      fi
      if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
        echo "moto failed to start; see $state/moto.log" >&2
        cat "$state/moto.log" >&2
        exit 1
      fi
      sleep 0.2
    done
  fi
  cat <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=ca-central-1
export AWS_EC2_METADATA_DISABLED=true
export FCM_GUARD_PYTHON=$venv/bin/python
ENV
  echo "moto listening on 127.0.0.1:$port (log: $state/moto.log)" >&2
}

stop() {
  if [ -f "$state/pid" ]; then
    kill "$(cat "$state/pid")" 2>/dev/null || true
    rm -f "$state/pid" "$state/port"
  fi
}

reset() {
  port="$(cat "$state/port")"
  "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$port/moto-api/reset', method='POST'))"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  reset) reset ;;
  *) echo "usage: $0 install|start|stop|reset" >&2; exit 2 ;;
esac
