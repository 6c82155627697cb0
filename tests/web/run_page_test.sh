#!/usr/bin/env bash
# The browser test as meson runs it (suite `browser`): chat_page_test.mjs against the
# real chatd ($CHATD_BIN), in Debian's chromium, driven by playwright-core from npm.
#
#   run_page_test.sh WORK_DIR [chat_page_test.mjs options]
#
# The test's files are copied into WORK_DIR (in the build tree) and `npm ci` installs
# the lockfile's packages there once (again when package-lock.json changes), from
# npm's cache when it has them (--prefer-offline); the source tree is not touched.
# Exit 77 (skip) with a line saying what to install only when node, npm or chromium
# is missing; everything else that goes wrong is a failure. scripts/test.sh installs
# all three and sets CHATD_REQUIRE_BROWSER=1, so there a missing one fails instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: run_page_test.sh WORK_DIR [options]}
shift
chromium=${CHROMIUM:-/usr/bin/chromium}
missing() {  # missing WHAT: skip, or fail where the browser is required
  echo "1..0 # SKIP $1"
  [ "${CHATD_REQUIRE_BROWSER:-0}" = 1 ] && { echo "CHATD_REQUIRE_BROWSER=1: $1 is a failure" >&2; exit 1; }
  exit 77
}
for tool in node npm; do
  command -v "$tool" >/dev/null || missing "$tool is not installed (apt-get install nodejs npm chromium)"
done
[ -x "$chromium" ] || missing "no browser at $chromium (apt-get install chromium, or set CHROMIUM)"

mkdir -p "$work"
cp "$here"/chat_page_test.mjs "$here"/cut_proxy.mjs "$here"/fake_chatd.mjs "$here"/package.json \
  "$here"/package-lock.json "$work"/
if [ ! -d "$work/node_modules" ] || ! cmp -s "$here/package-lock.json" "$work/.installed-lock.json"; then
  # One installer at a time: meson may start this test twice (two build trees share nothing,
  # but a rerun while an old one still installs would).
  (
    flock 9
    cd "$work"
    npm ci --prefer-offline --no-audit --no-fund --loglevel=error
    cp package-lock.json .installed-lock.json
  ) 9>"$work/.npm-lock"
fi
cd "$work"
exec node chat_page_test.mjs "$@"
