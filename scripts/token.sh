#!/usr/bin/env bash
# Mints an HS256 token (a JWT, docs/auth.md) that chatd accepts in `hello` when it
# runs with --auth-secret-file.
#
#   scripts/token.sh NAME [--secret-file FILE] [--ttl SECONDS | --exp UNIX_SECONDS]
#
#   NAME                the user name (^[A-Za-z0-9_.-]{1,32}$); it becomes `sub`
#   --secret-file FILE  the key file chatd reads [$CHATD_AUTH_SECRET_FILE]
#   --ttl SECONDS       the token expires SECONDS from now [3600]
#   --exp UNIX_SECONDS  or expires at this time (reproducible tokens for tests)
#   -h, --help          this text
#
# Prints the token on stdout, e.g.  printf '{"op":"hello","user":"alice","token":"%s"}\n' \
#   "$(scripts/token.sh alice --secret-file key)" | nc localhost 7000
# The key is read as chatd reads it: the file's bytes, one trailing newline
# stripped, at least 32 bytes. Needs the openssl command.
set -euo pipefail

die() { echo "token.sh: $*" >&2; exit 2; }

name=""
secret_file=${CHATD_AUTH_SECRET_FILE:-}
ttl=3600
exp=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    --secret-file) [ $# -ge 2 ] || die "--secret-file needs a file"; secret_file=$2; shift ;;
    --ttl) [ $# -ge 2 ] || die "--ttl needs a number of seconds"; ttl=$2; shift ;;
    --exp) [ $# -ge 2 ] || die "--exp needs a Unix time"; exp=$2; shift ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$name" ] || die "one NAME only (got '$name' and '$1')"; name=$1 ;;
  esac
  shift
done

[ -n "$name" ] || die "missing NAME (see --help)"
[[ $name =~ ^[A-Za-z0-9_.-]{1,32}$ ]] || die "'$name' is not a valid user name (1-32 of A-Z a-z 0-9 _ . -)"
[ -n "$secret_file" ] || die "no key: pass --secret-file FILE or set CHATD_AUTH_SECRET_FILE"
[ -r "$secret_file" ] || die "cannot read the key file $secret_file"
[ -d "$secret_file" ] && die "the key file $secret_file is a directory"
if [ -z "$exp" ]; then
  if ! [[ $ttl =~ ^[0-9]{1,10}$ ]] || [ "$ttl" -eq 0 ]; then
    die "--ttl must be a positive number of seconds (got '$ttl')"
  fi
  exp=$(( $(date +%s) + ttl ))
fi
[[ $exp =~ ^-?[0-9]{1,18}$ ]] || die "--exp must be an integer Unix time (got '$exp')"
command -v openssl >/dev/null || die "needs the openssl command (apt-get install openssl)"

# The key as hex, so NUL and newline bytes survive shell variables.
key_hex=$(head -c 65537 -- "$secret_file" | od -An -v -tx1 | tr -d ' \n')
[ $(( ${#key_hex} / 2 )) -le 65536 ] || die "the key file $secret_file is larger than 65536 bytes; a key file holds only the key"
key_hex=${key_hex%0a}  # one trailing newline, as chatd strips it (hex pairs: the suffix is the last byte)
key_len=$(( ${#key_hex} / 2 ))
[ "$key_len" -ge 32 ] || die "the key file $secret_file holds $key_len bytes of key; HS256 needs at least 32"

# "\xHH\xHH..." from hex, for printf %b: bytes (NUL included) without a command line.
hex_to_escapes() {
  local hex=$1 out="" i
  for ((i = 0; i < ${#hex}; i += 2)); do out+="\\x${hex:i:2}"; done
  printf '%s' "$out"
}
to_hex() { od -An -v -tx1 | tr -d ' \n'; }
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# HMAC-SHA256 (RFC 2104) built from two SHA-256 runs rather than `openssl dgst
# -mac HMAC -macopt hexkey:KEY`: that would put the key on a command line, which
# every local user can read in /proc/PID/cmdline. printf is a bash builtin.
[ "$key_len" -le 64 ] || key_hex=$(printf '%b' "$(hex_to_escapes "$key_hex")" | openssl dgst -sha256 -binary | to_hex)
while [ ${#key_hex} -lt 128 ]; do key_hex+="00"; done  # the key padded to SHA-256's 64-byte block
ipad="" opad=""
for ((i = 0; i < 128; i += 2)); do
  byte=$((16#${key_hex:i:2}))
  printf -v x '\\x%02x' $((byte ^ 0x36)); ipad+=$x
  printf -v x '\\x%02x' $((byte ^ 0x5c)); opad+=$x
done

header='{"alg":"HS256","typ":"JWT"}'  # byte for byte what src/auth/token_mint.h writes
payload="{\"sub\":\"$name\",\"exp\":$exp}"
signing_input="$(printf '%s' "$header" | b64url).$(printf '%s' "$payload" | b64url)"
inner=$( { printf '%b' "$ipad"; printf '%s' "$signing_input"; } | openssl dgst -sha256 -binary | to_hex)
signature=$( { printf '%b' "$opad"; printf '%b' "$(hex_to_escapes "$inner")"; } | openssl dgst -sha256 -binary | b64url)
printf '%s.%s\n' "$signing_input" "$signature"
