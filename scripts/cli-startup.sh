#!/usr/bin/env bash
# Start-up of the compiled `stoa`, A/B: each command from two checkouts in turn, ROUNDS rounds,
# wall seconds and user + sys CPU seconds (/usr/bin/time) per run, then the medians.
#   scripts/cli-startup.sh <baseline checkout> [<checkout>, default: this one]
# Each checkout builds its compiled `stoa` first if stale, and gets an initialised project of its own.
set -euo pipefail
OLD=$(cd "${1:?usage: scripts/cli-startup.sh <baseline checkout> [<checkout>]}" && pwd)
NEW=$(cd "${2:-$(dirname "$0")/..}" && pwd)
ROUNDS=${ROUNDS:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export NO_COLOR=1
node "$OLD/apps/cli/bin/stoa.js" init "$W/old" >/dev/null
node "$NEW/apps/cli/bin/stoa.js" init "$W/new" >/dev/null
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds; baseline $OLD, this $NEW"
one() { # <dir> <root> <args...>: prints "wall cpu"
  local dir=$1 root=$2
  shift 2
  (cd "$dir" && /usr/bin/time -o "$W/time" -f '%e %U %S' node "$root/apps/cli/bin/stoa.js" "$@" >/dev/null 2>&1) || true
  # A failing command (stoa status without a deployment exits 7) adds a line before the times.
  tail -n 1 "$W/time" | awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-28s %12s %12s %12s %12s\n' command 'base wall' 'base CPU' 'this wall' 'this CPU'
for cmd in '--version' '--help' 'keys --help' 'init <dir>' 'keys list' 'status' 'quote'; do
  : >"$W/old.txt"
  : >"$W/new.txt"
  for round in $(seq "$ROUNDS"); do
    for side in old new; do
      root=$OLD
      [ "$side" = new ] && root=$NEW
      case "$cmd" in
        'init <dir>') one "$W" "$root" init "$W/$side-init-$round" >>"$W/$side.txt" ;;
        --* | 'keys --help') one "$W" "$root" $cmd >>"$W/$side.txt" ;;
        *) one "$W/$side" "$root" $cmd >>"$W/$side.txt" ;; # in the initialised project
      esac
    done
  done
  printf '%-28s %10s s %10s s %10s s %10s s\n' "stoa $cmd" \
    "$(cut -d' ' -f1 "$W/old.txt" | median)" "$(cut -d' ' -f2 "$W/old.txt" | median)" \
    "$(cut -d' ' -f1 "$W/new.txt" | median)" "$(cut -d' ' -f2 "$W/new.txt" | median)"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
