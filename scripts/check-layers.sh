#!/usr/bin/env bash
# Include layering: fails (exit 1, one line per violation, file:line) when a
# folder under src/ includes a folder above it, or a peer on its own level, or
# one of the pairs forbidden below; and when loadgen/ includes a src/ folder it
# may not use. Run from anywhere; CI runs it as the meson test `layers`.
#
#   scripts/check-layers.sh [ROOT]     # ROOT: a source tree [this checkout]
set -euo pipefail

# ---- the rules (edit here) ------------------------------------------------------
# src/ from bottom to top, one level a line. A folder may include its own files and
# those of any lower level; never a higher level, nor a peer on its own level
# (unless PEERS_ALLOWED names the pair). Top-level files of src/ (main.cc) are
# named like folders.
LAYERS=(
  "common"
  "proto reactor xshard"
  "metrics http auth"
  "ws"
  "net"
  "chat"
  "config"
  "shard"
  "server"
  "main.cc"
)
# "FROM TO" pairs of peers on one level that FROM may include.
PEERS_ALLOWED=(
)
# "FROM TO: why" pairs forbidden even though TO sits lower.
FORBIDDEN=(
  "chat reactor: the chat rules are plain data; they never see the event loop"
  "chat net: the chat rules never touch a socket or a connection's buffers"
  "config reactor: Config is plain values; naming a backend needs no reactor header"
)
# What loadgen/ may include of src/: net and the levels below, plus config. Today
# it uses common, config, metrics, net, proto and reactor.
LOADGEN_MAY_INCLUDE="common proto metrics reactor xshard http ws auth net config"
# ----------------------------------------------------------------------------------

ROOT=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$ROOT"

declare -A level_of=()
for i in "${!LAYERS[@]}"; do
  for f in ${LAYERS[$i]}; do level_of[$f]=$i; done
done
declare -A peer_allowed=() forbidden_why=()
for p in "${PEERS_ALLOWED[@]}"; do peer_allowed[$p]=1; done
for p in "${FORBIDDEN[@]}"; do forbidden_why[${p%%:*}]=${p#*: }; done
declare -A loadgen_may=()
for f in $LOADGEN_MAY_INCLUDE; do loadgen_may[$f]=1; done

# The part a file belongs to: src/<folder>/... → folder, src/<file> → file,
# loadgen/... → loadgen; anything else → "".
part_of() {
  case "$1" in
    src/*/*) local rest=${1#src/}; echo "${rest%%/*}" ;;
    src/*) echo "${1#src/}" ;;
    loadgen/*) echo loadgen ;;
    *) echo "" ;;
  esac
}

# The file an include names, as the build finds it (the including file's folder
# for "..." includes, then src/ and the root, the project's include paths),
# relative to ROOT; "" for a system or library header.
resolve() {
  local from_dir=$1 quote=$2 name=$3 candidate
  local dirs=(src .)
  [ "$quote" = '"' ] && dirs=("$from_dir" src .)
  for d in "${dirs[@]}"; do
    candidate="$d/$name"
    if [ -f "$candidate" ]; then
      realpath -m --relative-to="$ROOT" "$candidate"
      return
    fi
  done
  echo ""
}

# Why FROM may not include TO, or "" when it may.
violation() {
  local from=$1 to=$2
  [ "$from" = "$to" ] && return
  if [ "$from" = loadgen ]; then
    [ -n "${loadgen_may[$to]:-}" ] || echo "loadgen may include only $LOADGEN_MAY_INCLUDE of src/, not $to"
    return
  fi
  if [ "$to" = loadgen ]; then echo "src/ never includes loadgen/"; return; fi
  # A part missing from LAYERS is reported once, below.
  [ -n "${level_of[$from]:-}" ] && [ -n "${level_of[$to]:-}" ] || return 0
  local lf=${level_of[$from]} lt=${level_of[$to]}
  if [ "$lt" -gt "$lf" ]; then
    echo "$from (level $lf) includes $to (level $lt, above it)"
  elif [ "$lt" -eq "$lf" ] && [ -z "${peer_allowed["$from $to"]:-}" ]; then
    echo "$from includes its peer $to (level $lf; PEERS_ALLOWED does not list the pair)"
  elif [ -n "${forbidden_why["$from $to"]:-}" ]; then
    echo "$from includes $to, which FORBIDDEN rules out: ${forbidden_why["$from $to"]}"
  fi
}

count=0
# Every folder (and top-level file) of src/ has a place in LAYERS.
for path in src/*; do
  part=${path#src/}
  case "$part" in meson.build) continue ;; esac
  if [ -z "${level_of[$part]:-}" ]; then
    echo "$path: not in LAYERS: give it a level at the top of scripts/check-layers.sh"
    count=$((count + 1))
  fi
done

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*(["<])([^">]+)[">]'
# shellcheck disable=SC2094  # the file is only read
while IFS= read -r -d '' file; do
  from=$(part_of "$file")
  line_no=0
  while IFS= read -r line; do
    line_no=$((line_no + 1))
    [[ $line =~ $include_re ]] || continue
    target=$(resolve "$(dirname "$file")" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
    [ -n "$target" ] || continue
    to=$(part_of "$target")
    [ -n "$to" ] || continue
    why=$(violation "$from" "$to")
    if [ -n "$why" ]; then
      echo "$file:$line_no: includes \"${BASH_REMATCH[2]}\": $why"
      count=$((count + 1))
    fi
  done <"$file"
done < <(find src loadgen -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.cpp' \) -print0 | sort -z)

if [ "$count" -gt 0 ]; then
  echo "check-layers: $count violation(s) of the layering (rules at the top of scripts/check-layers.sh)" >&2
  exit 1
fi
echo "check-layers: every include of src/ and loadgen/ follows the layering"
