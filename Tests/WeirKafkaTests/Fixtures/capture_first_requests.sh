#!/usr/bin/env bash
# Records the first requests of kcat, kafka-python, confluent-kafka and aiokafka without a
# broker: each client talks through capture.py to apiversions_broker.py, which answers
# ApiVersions and leaves the next request (Metadata) unanswered. Takes about a minute.
#
#   Tests/WeirKafkaTests/Fixtures/capture_first_requests.sh [OUT_DIR]   (default: a new temp dir)
#
# Writes <client>-<Api>-v<version>-request.bin (and -response.bin, the stand-in's answers,
# which are not fixtures) to OUT_DIR. Ports are chosen by the system (port 0).
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
logs=$(mktemp -d)

port_of() { # the port a "listening HOST:PORT" line in file $1 names, once it is there
    for _ in $(seq 100); do
        [ -s "$1" ] && { sed 's/.*://' "$1"; return 0; }
        sleep 0.1
    done
    echo "capture_first_requests: nothing listening (see $1 and ${1%.out}.err)" >&2
    exit 1
}

python3 "$here/apiversions_broker.py" --listen 127.0.0.1:0 >"$logs/broker.out" 2>"$logs/broker.err" &
broker=$!
trap 'kill -TERM $broker 2>/dev/null' EXIT
broker_port=$(port_of "$logs/broker.out")

capture() { # client name, then its command line with PROXY standing for the proxy's address
    local name=$1
    shift
    python3 "$here/capture.py" --listen 127.0.0.1:0 --upstream "127.0.0.1:$broker_port" --out "$out" \
        --client-name "$name" >"$logs/$name.out" 2>"$logs/$name.err" &
    local proxy=$!
    local address
    address=127.0.0.1:$(port_of "$logs/$name.out")
    # The clients give up (or are stopped) once Metadata goes unanswered: their status is not checked.
    timeout 20 "${@//PROXY/$address}" >"$logs/$name.client.log" 2>&1
    kill -TERM $proxy
    wait $proxy
}

capture kcat kcat -L -b PROXY -m 5
capture kafka-python python3 -c "
import kafka
kafka.KafkaConsumer(bootstrap_servers='PROXY', request_timeout_ms=5000).topics()"
capture confluent-kafka python3 -c "
import confluent_kafka
confluent_kafka.Producer({'bootstrap.servers': 'PROXY'}).list_topics(timeout=5)"
capture aiokafka python3 -c "
import asyncio, aiokafka
async def main():
    await aiokafka.AIOKafkaProducer(bootstrap_servers='PROXY', request_timeout_ms=5000).start()
asyncio.run(main())"

rm -rf "$logs"
ls "$out"/*-request.bin
