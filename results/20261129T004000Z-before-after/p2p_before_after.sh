#!/bin/bash
# Point-to-point whispers, before vs after, 3 interleaved reps, fresh server each, chatd pinned CPU 1, loadgen CPU 0.
cd /work/main
for rep in 1 2 3 4 5; do
  for v in after:./build/chatd before:/work/before/build/chatd; do
    name=${v%%:*}; bin=${v#*:}
    for be in uring epoll; do
      port=$((18000 + RANDOM % 2000))
      taskset -c 1 $bin --bind 127.0.0.1 --port $port --metrics-port 0 --shards 1 --backend $be 2>/dev/null & pid=$!
      sleep 0.3
      r=$(taskset -c 0 ./build/loadgen/loadgen --threads 1 --no-progress --connect-timeout 10s --target chatd --port $port --whisper --ramp 1000 --steps 1 --msgs 100 --rooms 25 --size 64 --step-timeout 60s --out /tmp/p2p/$name-$be-$rep 2>&1 >/dev/null | grep -o '[0-9.]*[MK] deliv/s')
      echo "$name $be $rep $r"
      kill $pid; wait $pid 2>/dev/null
    done
  done
done
