#!/usr/bin/env bash
# Time the first run of a new user: clone the repository into an empty folder, run `make run`
# and wait for the page to answer, then print the time of each step.
#
#   scripts/fresh-clone-timing.sh cold   # pip cache, wheelhouse and model caches start empty
#   scripts/fresh-clone-timing.sh warm   # a second clone on the same machine, caches reused
#
# CACHE_ROOT=DIR keeps the caches of a run in DIR (pip and uv caches in DIR/pip and DIR/uv, the app's cache
# folder, with the llama-cpp-python wheelhouse, in DIR/coach): `cold` empties it first, `warm`
# reuses it, so `cold` then `warm` with one CACHE_ROOT measures both. Without CACHE_ROOT, `cold`
# uses a new temporary folder and `warm` the user's own caches. REPO (default: this clone's
# committed HEAD) is what gets cloned; PORT (default 7871) where the page is served.
# Files on local disk that pip's configuration points at (find-links) stay in use: they are
# the machine's, not a cache.
set -euo pipefail

mode=${1:-}
case $mode in cold | warm) ;; *)
	echo "usage: $0 cold|warm   (see the comment at the top of this script)" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")/.." && pwd)
repo=${REPO:-$here}
port=${PORT:-7871}
work=$(mktemp -d "${TMPDIR:-/tmp}/fresh-clone.XXXXXX")

if [ -n "${CACHE_ROOT:-}" ]; then
	[ "$mode" = cold ] && rm -rf "$CACHE_ROOT"
	mkdir -p "$CACHE_ROOT"
	export PIP_CACHE_DIR=$CACHE_ROOT/pip UV_CACHE_DIR=$CACHE_ROOT/uv ASSISTANT_CACHE_DIR=$CACHE_ROOT/coach
elif [ "$mode" = cold ]; then
	export PIP_CACHE_DIR=$work/cache/pip UV_CACHE_DIR=$work/cache/uv ASSISTANT_CACHE_DIR=$work/cache/coach
fi
unset WHEELHOUSE CACHE_DIR VIRTUAL_ENV PYTHONPATH
export ASSISTANT_PORT=$port
echo "==> $mode run in $work (pip cache: ${PIP_CACHE_DIR:-default}," \
	"app cache: ${ASSISTANT_CACHE_DIR:-default})"

log=$work/timeline.log
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done; }
echo "$(date +%s.%N) ==> cloning" >"$log"
git clone --quiet "$repo" "$work/clone"

cd "$work/clone"
setsid make run > >(stamp >>"$log") 2>&1 &
runner=$!
trap 'kill -- -"$runner" 2>/dev/null || true' EXIT
# Echo the timeline as it grows, and wait for the page.
tail -n +1 -f "$log" --pid=$$ | cut -d' ' -f2- &
until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do
	if ! kill -0 "$runner" 2>/dev/null; then
		echo "make run ended before the page answered; see $log" >&2
		exit 1
	fi
	sleep 1
done
echo "$(date +%s.%N) ==> page answered" >>"$log"
sleep 1.5
kill -- -"$runner" 2>/dev/null || true
trap - EXIT

# Steps: each starts at a marker line and ends at the next one.
echo
echo "| step ($mode caches) | seconds |"
echo "| --- | ---: |"
awk '
	function step(name) { if (last != "") printf "| %s | %.0f |\n", last, $1 - at; last = name; at = $1 }
	NR == 1 { start = $1 }
	/==> cloning/ { step("git clone") }
	/==> creating the virtual environment/ { step("virtual environment") }
	/==> upgrading pip/ { step("pip upgrade") }
	/==> installing torch/ { step("torch (CPU build)") }
	/==> compiling llama-cpp-python/ { step("llama-cpp-python compiled") }
	/==> reusing the llama-cpp-python wheel/ { step("llama-cpp-python wheel reused") }
	/==> installing the project and its dependencies/ { step("other dependencies") }
	/==> preparing the verdict model/ { step("chat model converted to Q8_0 (or all models found up to date)") }
	/chat model ready:/ { step("verdict model trained (or found)") }
	/embedding the coaching playbook/ { step("playbook embedded") }
	/==> set-up complete/ { step("make run: models checked"); ready = 1 }
	ready && /models are up to date|playbook ready:/ { step("serve: start, load models") }
	/The store is empty: ingesting/ { step("first ingest of knowledge/") }
	/Ingested [0-9]+ chunks/ { step("page up (app built, server listening)") }
	/==> page answered/ { step(""); printf "| **total, clone to page answering** | **%.0f** |\n", $1 - start }
' "$log"
echo
echo "timeline: $log"
