#!/usr/bin/env bash
# Writes the known-bad inputs too big to commit (1 MiB each) into large/<target>/ (git-ignored).
# run.sh replays them once per target before fuzzing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

MIB=$((1024 * 1024))
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; } # repeat ONE-CHAR COUNT
seed() { mkdir -p "large/$1"; cat >"large/$1/$2"; }  # seed TARGET NAME < content

{ printf '2/'; repeat a $MIB; printf ',["a"]'; } | seed socket_decoder namespace-1mib
{ printf '0/'; repeat a $MIB; } | seed socket_decoder namespace-1mib-no-comma
{ printf '2["a",'; repeat '[' $MIB; } | seed socket_decoder deep-json-1mib
{ printf '5'; repeat 9 $MIB; printf -- '-["a"]'; } | seed socket_decoder attachment-count-1mib
{ printf '2'; repeat 9 $MIB; printf '["a"]'; } | seed socket_decoder ack-id-1mib

repeat $'\x1e' $MIB | seed engine_payload separator-flood-1mib
{ printf '42/'; repeat a $MIB; printf ',["a"]'; } | seed engine_payload namespace-1mib
{ printf 'b'; repeat '!' $MIB; } | seed engine_payload base64-garbage-1mib

{ printf 'b'; repeat 'A' $((MIB + 1)); } | seed engine_packet base64-bad-length-1mib
{ printf '4'; repeat $'\x1e' $MIB; } | seed engine_packet message-separators-1mib

repeat '[' $MIB | seed json_scan deep-1mib
{ printf '"'; repeat '\\' $MIB; printf '"'; } | seed json_scan backslashes-1mib
{ printf '['; repeat 0 $((MIB / 2)) | sed 's/0/0,/g'; printf '0]'; } | seed json_scan many-items-1mib

{ printf '{"sid":"'; repeat a $MIB; printf '","upgrades":[],"pingInterval":1,"pingTimeout":2}'; } |
  seed handshake sid-1mib

# 100,000 levels of nesting: refused at the depth limit, without recursing 100,000 deep.
DEEP=100000
{ printf '2["a",'; repeat '[' $DEEP; repeat ']' $DEEP; printf ']'; } | seed socket_decoder deep-json-100k-levels
{ printf '2["a",'; repeat '{' $DEEP; } | seed socket_decoder deep-objects-100k-levels-unclosed
{ printf '42["a",'; repeat '[' $DEEP; repeat ']' $DEEP; printf ']'; } | seed engine_payload deep-json-100k-levels
{ repeat '[' $DEEP; repeat ']' $DEEP; } | seed json_scan deep-100k-levels
{ printf '{"sid":"a","upgrades":'; repeat '[' $DEEP; repeat ']' $DEEP; printf '}'; } |
  seed handshake deep-100k-levels

# The Redis messages (first byte: the channel, see fuzz_targets/redis_message.rs).
{ printf '\x02'; repeat $'\x91' $DEEP; } | seed redis_message msgpack-100k-levels
{ printf '\x01{"type":4,"opts":'; repeat '[' $DEEP; repeat ']' $DEEP; printf '}'; } |
  seed redis_message json-100k-levels
{ printf '\x01{"uid":"'; repeat a $MIB; printf '","type":4}'; } | seed redis_message uid-1mib

{ printf '\x00HTTP/1.1 101 Switching Protocols\r\nX-Long: '; repeat a $MIB; } |
  seed websocket_client head-1mib-no-end
{ printf '\x01'; repeat a $((MIB / 2)) | sed 's/a/ab/g' | tr ab '\211\000'; } |
  seed websocket_client pings-1mib
{ printf '\x01\x02\x00'; repeat a $((MIB / 2)) | sed 's/a/ab/g' | tr ab '\000\000'; } |
  seed websocket_client empty-continuations-1mib
{ printf '\x03'; repeat a $((MIB / 3)) | sed 's/a/abc/g' | tr abc '\302\001\000'; } |
  seed websocket_client empty-compressed-messages-1mib
