#!/usr/bin/env bash
# Run a long, quiet command and say every EVERY seconds (default 30) how long it has run
# against its usual duration: with-progress.sh "compiling llama-cpp-python" "about 5 minutes" CMD...
# The command's own output and exit code pass through unchanged.
set -uo pipefail
what=$1 estimate=$2
shift 2
every=${EVERY:-30}
start=$(date +%s)
(
	while sleep "$every"; do
		echo "    ... $what: $estimate in all, $(($(date +%s) - start)) s so far"
	done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null' EXIT
"$@"
code=$?
kill "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
echo "    $what took $(($(date +%s) - start)) s"
exit "$code"
