#!/usr/bin/env bash
# The watchdog of one test process (test/helpers/reaper.ts): reads on stdin what the test started
# and made (`group+ PGID`, `pid+ PID`, `dir+ PATH`, and `group-`/`pid-`/`dir-` once the test has
# cleaned up itself). When stdin closes — the test process ended, whether it finished, failed,
# timed out or was killed — it kills what is still listed and then removes the folders.
declare -A groups=() pids=() dirs=()
while IFS=' ' read -r op arg; do
  case $op in
    group+) groups[$arg]=1 ;;
    group-) unset "groups[$arg]" ;;
    pid+) pids[$arg]=1 ;;
    pid-) unset "pids[$arg]" ;;
    dir+) dirs[$arg]=1 ;;
    dir-) unset "dirs[$arg]" ;;
  esac
done
for g in "${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
for p in "${!pids[@]}"; do kill -KILL -- "$p" 2>/dev/null; done
# Give the killed processes a moment to be gone before their folders are removed under them.
for _ in $(seq 50); do
  alive=0
  for g in "${!groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
  for p in "${!pids[@]}"; do kill -0 -- "$p" 2>/dev/null && alive=1; done
  (( alive )) || break
  sleep 0.1
done
for d in "${!dirs[@]}"; do rm -rf -- "$d"; done
