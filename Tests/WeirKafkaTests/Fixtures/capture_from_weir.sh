#!/usr/bin/env bash
# Records the requests kcat, confluent-kafka, kafka-python and aiokafka send to a real Weir
# broker: metadata, produce, consume, group consume with commits, and topic/group admin. Each
# client talks through its own capture.py proxy to `weir serve`. Takes about ten seconds.
#
#   Tests/WeirKafkaTests/Fixtures/capture_from_weir.sh [WEIR [OUT_DIR]]
#
# WEIR is the weir executable (default: $WEIR); OUT_DIR defaults to a new temp dir. Writes
# <client>-<Api>-v<version>-request.bin and -response.bin (Weir's answers) to OUT_DIR.
# Ports are chosen by the system (port 0); the data directory and the logs are in a temp dir,
# removed at the end unless a client failed or KEEP_LOGS is set.
set -u
here=$(cd "$(dirname "$0")" && pwd)
weir=${1:-${WEIR:-}}
[ -n "$weir" ] || { echo "capture_from_weir: give the weir executable as \$WEIR or first argument" >&2; exit 2; }
out=${2:-$(mktemp -d)}
mkdir -p "$out"
logs=$(mktemp -d)
data=$logs/data
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
}
trap stop_all EXIT

address_in() { # the HOST:PORT after the last space of the first line of file $1 matching $2
    for _ in $(seq 100); do
        line=$(grep -m1 "$2" "$1" 2>/dev/null) && { echo "${line##* }"; return 0; }
        sleep 0.1
    done
    echo "capture_from_weir: nothing listening (see $1)" >&2
    exit 1
}

# The topics the clients produce to and consume from; the admin clients create their own.
for topic in kcat-demo confluent-demo kafka-python-demo aiokafka-demo; do
    "$weir" topics create "$topic" --data-dir "$data" >>"$logs/topics.log" 2>&1 \
        || { echo "capture_from_weir: cannot create $topic (see $logs/topics.log)" >&2; exit 1; }
done

"$weir" serve --kafka 127.0.0.1:0 --data-dir "$data" >"$logs/weir.out" 2>"$logs/weir.err" &
pids+=($!)
broker=$(address_in "$logs/weir.err" "serving Kafka clients on") || exit 1

failed=0
proxy=
start_proxy() { # client name: starts its proxy; sets $address
    python3 "$here/capture.py" --listen 127.0.0.1:0 --upstream "$broker" --out "$out" \
        --client-name "$1" >"$logs/$1.out" 2>"$logs/$1.err" &
    proxy=$!
    pids+=($proxy)
    address=$(address_in "$logs/$1.out" "^listening ") || exit 1
    client=$1
}
run() { # a command line with PROXY standing for the proxy's address
    timeout 90 "${@//PROXY/$address}" >>"$logs/$client.client.log" 2>&1 || {
        echo "capture_from_weir: $client: '$1' ended with status $? (see $logs/$client.client.log)" >&2
        failed=1
    }
}
stop_proxy() {
    kill -TERM "$proxy"
    wait "$proxy"
}

# kcat (librdkafka): metadata, keyed gzip produce, consume to the end, group consume (3 records).
start_proxy kcat
run kcat -L -b PROXY
# librdkafka up to 2.11 sends gzip batches uncompressed to a broker whose Produce versions start
# above 0 (Weir's start at 3), so this batch goes out plain; confluent-kafka's is gzipped.
for i in 1 2 3; do printf 'k%s:%s\n' $i "$(printf "value $i %.0s" $(seq 20))"; done >"$logs/kcat-records.txt"
run kcat -P -b PROXY -t kcat-demo -K: -z gzip -l "$logs/kcat-records.txt"
run kcat -C -b PROXY -t kcat-demo -o beginning -e
run kcat -C -b PROXY -G kcat-group -X auto.offset.reset=earliest -X heartbeat.interval.ms=300 \
    -c 3 kcat-demo
stop_proxy

# confluent-kafka: idempotent gzip producer (acks=all), group consumer + commit, admin.
start_proxy confluent-kafka
run python3 -c "
import sys, time
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
P = 'PROXY'
failures = []
def step(what, f):
    try:
        f()
    except Exception as e:
        failures.append(f'{what}: {e!r}')
p = Producer({'bootstrap.servers': P, 'enable.idempotence': True, 'acks': 'all', 'compression.type': 'gzip'})
for i in range(3):
    p.produce('confluent-demo', key=b'k%d' % i, value=b'value %d ' % i * 20)
p.flush(30)
c = Consumer({'bootstrap.servers': P, 'group.id': 'confluent-group', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'heartbeat.interval.ms': 300})
c.subscribe(['confluent-demo'])
got, deadline = 0, time.time() + 30
while got < 3 and time.time() < deadline:
    m = c.poll(1)
    if m is not None and not m.error():
        got += 1
if got < 3:
    failures.append(f'consumed {got} of 3 records')
step('commit', lambda: c.commit(asynchronous=False))
time.sleep(1.5)
c.close()
a = AdminClient({'bootstrap.servers': P})
def wait(futures):
    for f in futures.values():
        f.result(30)
step('create_topics', lambda: wait(a.create_topics([NewTopic('confluent-admin', 1, 1)])))
step('describe_configs', lambda: wait(a.describe_configs([ConfigResource('topic', 'confluent-admin')])))
step('list_consumer_groups', lambda: a.list_consumer_groups().result(30))
step('describe_consumer_groups', lambda: wait(a.describe_consumer_groups(['confluent-group'])))
step('delete_consumer_groups', lambda: wait(a.delete_consumer_groups(['confluent-group'])))
step('delete_topics', lambda: wait(a.delete_topics(['confluent-admin'])))
sys.exit('\\n'.join(failures) or None)
"
stop_proxy

# kafka-python: producer (acks=all), group consumer + commit, admin.
start_proxy kafka-python
run python3 -c "
import sys, time
import kafka
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
P = 'PROXY'
failures = []
def step(what, f):
    try:
        f()
    except Exception as e:
        failures.append(f'{what}: {e!r}')
p = kafka.KafkaProducer(bootstrap_servers=P, acks='all')
for i in range(3):
    p.send('kafka-python-demo', key=b'k%d' % i, value=b'v%d' % i)
p.flush(30)
p.close()
c = kafka.KafkaConsumer('kafka-python-demo', bootstrap_servers=P, group_id='kafka-python-group',
                        auto_offset_reset='earliest', enable_auto_commit=False, heartbeat_interval_ms=300)
got, deadline = 0, time.time() + 30
while got < 3 and time.time() < deadline:
    got += sum(len(records) for records in c.poll(1000).values())
if got < 3:
    failures.append(f'consumed {got} of 3 records')
step('commit', c.commit)
time.sleep(1.5)
c.poll(100)
c.close()
a = KafkaAdminClient(bootstrap_servers=P)
step('create_topics', lambda: a.create_topics([NewTopic('kafka-python-admin', 1, 1)]))
step('describe_configs', lambda: a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'kafka-python-admin')]))
step('list_groups', lambda: a.list_groups())
step('describe_groups', lambda: a.describe_groups(['kafka-python-group']))
step('delete_groups', lambda: a.delete_groups(['kafka-python-group']))
step('delete_topics', lambda: a.delete_topics(['kafka-python-admin']))
a.close()
sys.exit('\\n'.join(failures) or None)
"
stop_proxy

# aiokafka: idempotent producer, group consumer + commit, admin.
start_proxy aiokafka
run python3 -c "
import asyncio, sys
import aiokafka
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
P = 'PROXY'
failures = []
async def step(what, coroutine):
    try:
        await coroutine
    except Exception as e:
        failures.append(f'{what}: {e!r}')
async def main():
    p = aiokafka.AIOKafkaProducer(bootstrap_servers=P, enable_idempotence=True)
    await p.start()
    for i in range(3):
        await p.send_and_wait('aiokafka-demo', b'v%d' % i, key=b'k%d' % i)
    await p.stop()
    c = aiokafka.AIOKafkaConsumer('aiokafka-demo', bootstrap_servers=P, group_id='aiokafka-group',
                                  auto_offset_reset='earliest', enable_auto_commit=False,
                                  heartbeat_interval_ms=300)
    await c.start()
    got = 0
    while got < 3:
        got += sum(len(records) for records in (await c.getmany(timeout_ms=1000)).values())
    await c.commit()
    await asyncio.sleep(1.5)
    await c.stop()
    a = AIOKafkaAdminClient(bootstrap_servers=P)
    await a.start()
    await step('create_topics', a.create_topics([NewTopic('aiokafka-admin', 1, 1)]))
    await step('describe_configs', a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'aiokafka-admin')]))
    await step('list_consumer_groups', a.list_consumer_groups())
    await step('describe_consumer_groups', a.describe_consumer_groups(['aiokafka-group']))
    await step('delete_topics', a.delete_topics(['aiokafka-admin']))
    await a.close()
asyncio.run(asyncio.wait_for(main(), 60))
sys.exit('\\n'.join(failures) or None)
"
stop_proxy

stop_all
trap - EXIT
if [ $failed = 0 ] && [ -z "${KEEP_LOGS:-}" ]; then rm -rf "$logs"; else echo "capture_from_weir: logs kept in $logs" >&2; fi
ls "$out"/*-request.bin
