#!/usr/bin/env bash
# Runs the bench against the packages of an older commit, with today's bench code,
# so that its results compare row by row with a run of the current tree
# (see "Compare with an older commit" in bench/README.md).
#
#   bench/baseline.sh [--commit REV] [--dir PATH] [--out FILE] [-- BENCH FLAGS…]
#   bench/baseline.sh --remove [--commit REV] [--dir PATH]
#
# 1. a detached git worktree of REV (default cbcc7c3) outside the repo,
#    /tmp/rivulet-baseline-<sha> unless --dir says otherwise (kept between runs);
# 2. `npm ci --no-audit --no-fund` there (once) and `turbo run build --force`
#    (every run; a build from the old sources, nothing restored from a cache);
# 3. its bench/src replaced by this tree's bench/src, so both sides run the same
#    scenarios, contenders and rows; only packages/ is the old commit's;
# 4. `npm run bench -w bench -- --no-docs --out FILE BENCH FLAGS…`, FILE being
#    bench/results/baseline-<sha>.json (-quick.json with --quick, -partial.json with
#    --only or --fanout-contenders) in this tree unless --out says otherwise.
#    docs/ of neither tree is touched.
#
# --remove deletes the worktree (git worktree remove --force) and stops.
set -euo pipefail

repo=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
commit=cbcc7c3
dir=
out=
remove=false
while [ $# -gt 0 ]; do
  case "$1" in
    --commit) commit=${2:?--commit needs a revision}; shift 2 ;;
    --dir) dir=${2:?--dir needs a path}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    --remove) remove=true; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "baseline.sh: unknown argument \"$1\" (bench flags go after --)" >&2; exit 2 ;;
  esac
done

sha=$(git -C "$repo" rev-parse --verify --quiet "$commit^{commit}") || { echo "baseline.sh: no commit \"$commit\"" >&2; exit 2; }
short=${sha:0:7}
dir=${dir:-/tmp/rivulet-baseline-$short}
case "$dir" in "$repo"|"$repo"/*) echo "baseline.sh: the worktree must be outside the repo ($dir)" >&2; exit 2 ;; esac

if $remove; then
  git -C "$repo" worktree remove --force "$dir"
  echo "baseline.sh: removed $dir"
  exit 0
fi

# Named like the bench's own results: -quick for --quick, -partial for a run of some scenarios or contenders.
kind=
for flag in "$@"; do
  case "$flag" in
    --quick) kind=-quick ;;
    --only|--only=*|--fanout-contenders|--fanout-contenders=*) [ "$kind" = -quick ] || kind=-partial ;;
  esac
done
out=${out:-$repo/bench/results/baseline-$short$kind.json}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac

if [ -e "$dir" ]; then
  at=$(git -C "$dir" rev-parse HEAD 2>/dev/null || true)
  [ "$at" = "$sha" ] || { echo "baseline.sh: $dir exists and is not a worktree at $short (remove it or pass --dir)" >&2; exit 2; }
else
  git -C "$repo" worktree add --detach "$dir" "$sha"
fi

cd "$dir"
[ -d node_modules ] || npm ci --no-audit --no-fund
# A real build of the old sources: no output restored from turbo's cache, which worktrees share.
npx turbo run build --force --cache-dir .turbo/cache --output-logs=errors-only
rm -rf bench/src
cp -R "$repo/bench/src" bench/src
echo "baseline.sh: packages of $short, bench code of $repo (at $(git -C "$repo" rev-parse --short=7 HEAD)), in $dir"

start=$SECONDS
npm run bench -w bench -- --no-docs --out "$out" "$@"
echo "baseline.sh: $out ($((SECONDS - start)) s); worktree left in $dir (bench/baseline.sh --remove --commit $short to delete it)"
