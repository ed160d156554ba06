#!/bin/sh
# A 3-node NATS JetStream cluster on loopback, for trying scriptlog with EVENT_STORE=jetstream NATS_REPLICAS=3.
# Clients on 4221-4223, routes on 6221-6223, each node's store under ${NATS_CLUSTER_DIR:-/tmp/scriptlog-nats}/nN.
# Runs in the foreground; Ctrl-C stops all three. Kill one node's process (its pid is printed) to watch failover.
set -eu
dir=${NATS_CLUSTER_DIR:-/tmp/scriptlog-nats}
routes=nats://127.0.0.1:6221,nats://127.0.0.1:6222,nats://127.0.0.1:6223
pids=""
trap 'kill $pids 2>/dev/null; wait' INT TERM EXIT
for i in 1 2 3; do
  mkdir -p "$dir/n$i"
  nats-server -js -a 127.0.0.1 -p "422$i" -n "n$i" -sd "$dir/n$i" \
    --cluster_name scriptlog --cluster "nats://127.0.0.1:622$i" --routes "$routes" >"$dir/n$i.log" 2>&1 &
  pids="$pids $!"
  echo "node n$i: pid $!, client port 422$i, log $dir/n$i.log"
done
echo "NATS_URL=nats://127.0.0.1:4221,nats://127.0.0.1:4222,nats://127.0.0.1:4223"
wait
