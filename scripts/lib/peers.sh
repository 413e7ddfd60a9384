# Starts the browser client's pair of test servers for scripts/test-wasm.sh and
# scripts/bench-browser.sh: native-server/examples/wasm-peer.rs and its Node.js twin,
# wasm-client/tests/support/server.mjs (README: Fixture servers). Sourced; it makes $work, a
# temporary folder the caller may use too, and removes it, and stops the servers, when the caller
# exits.
work="$(mktemp -d)"
peer_pids=()
peer_fds=()
peers_stop() {
  local fd pid
  for fd in ${peer_fds[@]+"${peer_fds[@]}"}; do eval "exec $fd>&-" 2>/dev/null || true; done
  for pid in ${peer_pids[@]+"${peer_pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap peers_stop EXIT

# peer_start FD NAME COMMAND...: starts a server reading our pipe on FD as its standard input (it
# exits when that closes, so it cannot outlive the caller however the caller ends), then sets
# $port and $recovery_port from its `PORT` / `RECOVERY_PORT` lines.
peer_start() {
  local fd="$1" name="$2"
  shift 2
  local out="$work/$name.out"
  : >"$out"
  eval "exec $fd> >(exec \"\$@\" >\"\$out\")"
  peer_pids+=($!)
  peer_fds+=("$fd")
  for _ in $(seq 200); do
    grep -q '^RECOVERY_PORT ' "$out" && break
    sleep 0.1
  done
  port="$(sed -n 's/^PORT //p' "$out")"
  recovery_port="$(sed -n 's/^RECOVERY_PORT //p' "$out")"
  if [ -z "$port" ] || [ -z "$recovery_port" ]; then
    echo "$(basename "$0" .sh): the $name server did not start" >&2
    exit 1
  fi
}
