#!/bin/bash
# WebSocket vs JSON fan-out, same run, interleaved: chatd --shards 1 pinned to CPU 1, loadgen pinned to CPU 0.
cd /work/main
out=/tmp/wsjson; rm -rf $out; mkdir -p $out
taskset -c 1 ./build/chatd --bind 127.0.0.1 --port 17555 --metrics-port 0 --shards 1 --backend uring 2>$out/chatd.log &
cpid=$!; sleep 0.5
for rep in 1 2 3; do
  for mode in json ws; do
    extra=""; [ $mode = ws ] && extra="--ws"
    taskset -c 0 ./build/loadgen/loadgen --port 17555 --threads 1 --no-progress --ramp 1000 --steps 1 --msgs 100 --rooms 1 --publishers 4 --room-prefix r$rep$mode- $extra --out $out/$mode-$rep >/dev/null 2>$out/$mode-$rep.err
    python3 -c "
import json,sys; s=json.load(open('$out/$mode-$rep/summary.json'))['steps'][-1]
print('$mode', $rep, round(s['delivered_per_second']), s['latency']['p50_ms'], s['latency']['p99_ms'], s['lost'])"
  done
done
kill $cpid; wait $cpid 2>/dev/null
