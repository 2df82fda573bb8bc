#!/usr/bin/env bash
# Start, stop and inspect the message brokers that Sluice's broker tests and examples use,
# natively, without Docker (docker-compose.yml is the Docker alternative):
#
#   Kafka 4.4 (KRaft, one node)  127.0.0.1:9092   jars from Maven Central, needs java
#   ElasticMQ 1.7 (SQS API)      127.0.0.1:9324   jars from Maven Central, needs java
#   RabbitMQ                     127.0.0.1:5672   the one already running, else `rabbitmq-server`
#
# Usage:
#   scripts/brokers.sh up     [BROKER...]          start (default: all), wait until each is ready
#   scripts/brokers.sh down   [--clean] [BROKER...] stop; --clean also deletes their data
#   scripts/brokers.sh status [BROKER...]          exit 0 if every listed broker is up, else 1
#   scripts/brokers.sh kafka-cli TOOL [ARGS...]    run a Kafka CLI tool (topics, console-producer,
#                                                  console-consumer, consumer-groups, ...)
# BROKER is kafka, elasticmq (or sqs) or rabbitmq (or amqp).
#
# Everything it creates (jars, data, logs, pid files) is under .brokers/ at the repo root.
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), SQS_PORT (9324),
# AMQP_PORT (5672, where RabbitMQ is looked for), BROKERS_STATE (.brokers), BROKERS_READY_TIMEOUT (90 s),
# BROKERS_STOP_TIMEOUT (30 s), KAFKA_HEAP_OPTS, ELASTICMQ_HEAP_OPTS, ELASTICMQ_PERSIST (0), JAVA_HOME.
# Details: docs/brokers.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CONF_DIR=$ROOT/scripts/brokers
# BROKERS_STATE gives a second set of brokers its own folder (jars, data, logs) and identity, e.g.
# the fault tests' private ones on other ports; `down` then stops only those.
STATE=${BROKERS_STATE:-$ROOT/.brokers}

HOST=127.0.0.1
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
SQS_PORT=${SQS_PORT:-9324}
AMQP_PORT=${AMQP_PORT:-5672}
READY_TIMEOUT=${BROKERS_READY_TIMEOUT:-90}
STOP_TIMEOUT=${BROKERS_STOP_TIMEOUT:-30}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
ELASTICMQ_HEAP_OPTS=${ELASTICMQ_HEAP_OPTS:--Xms64m -Xmx256m}
# 1: ElasticMQ keeps queues and messages in elasticmq/data (H2), so they survive a restart.
ELASTICMQ_PERSIST=${ELASTICMQ_PERSIST:-0}

ALL_BROKERS=(kafka elasticmq rabbitmq)

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
warn() { printf 'brokers: %s\n' "$*" >&2; }
die() {
  printf 'brokers: error: %s\n' "$*" >&2
  exit 1
}

# Path relative to the repo root, for messages.
rel() { printf '%s' "${1#"$ROOT"/}"; }

now_ms() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    local t=${EPOCHREALTIME/[.,]/}
    printf '%s' $((t / 1000))
  else
    printf '%s' $(($(date +%s) * 1000))
  fi
}

# secs_since START_MS -> "4.2s"
secs_since() {
  local d=$(($(now_ms) - $1))
  printf '%d.%ds' $((d / 1000)) $((d % 1000 / 100))
}

for p in KAFKA_PORT KAFKA_CONTROLLER_PORT SQS_PORT AMQP_PORT READY_TIMEOUT STOP_TIMEOUT; do
  [[ ${!p} =~ ^[0-9]+$ ]] || die "$p must be a number, got '${!p}'"
done
[[ $ELASTICMQ_PERSIST == [01] ]] || die "ELASTICMQ_PERSIST must be 0 or 1, got '$ELASTICMQ_PERSIST'"
[[ $KAFKA_PORT != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

# True if something accepts TCP connections on HOST:PORT.
port_open() {
  # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# "pid 1234 (java)" for whatever listens on PORT, or "" if unknown (ss missing, no permission).
port_owner() {
  local pid
  command -v ss >/dev/null 2>&1 || return 0
  pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2) || true
  [[ -n $pid ]] || return 0
  local args other
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || args=
  other=$(sed -n 's/.*-Dsluice[.]broker=\([^ ]*\).*/\1/p' <<<"$args")
  if [[ -n $other ]]; then
    # A broker started by brokers.sh in another checkout: say which, so it can be stopped there
    # (bash <that checkout>/scripts/brokers.sh down).
    printf 'pid %s (brokers.sh %s of %s)' "$pid" "${other%%@*}" "${other#*@}"
  else
    printf 'pid %s (%s)' "$pid" "$(ps -o comm= -p "$pid" 2>/dev/null || echo '?')"
  fi
}

# Fails with a clear message if HOST:PORT is already taken by something else.
require_free_port() {
  local name=$1 port=$2 what=$3 owner
  if port_open "$HOST" "$port"; then
    owner=$(port_owner "$port")
    die "$name: $HOST:$port ($what) is already in use${owner:+ by $owner}." \
      "If that is a $name you started another way (e.g. docker compose), you do not need" \
      "brokers:up for it; otherwise stop it or pick another port (see docs/brokers.md)."
  fi
}

# Every JVM started here carries -Dsluice.broker=<name>@<this checkout's .brokers dir> as its
# first argument. Processes are found by that marker; the pid files are only informative. So a
# stale or lost pid file can neither hide a running broker from `down` nor make us signal an
# unrelated process that reused the pid.
marker() { printf -- '-Dsluice.broker=%s@%s' "$1" "$STATE"; }

broker_pids() {
  local m pid args
  m=$(marker "$1")
  for pid in $(pgrep -f -- "-Dsluice[.]broker=$1@" 2>/dev/null || true); do
    args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || continue
    [[ " $args " == *" $m "* ]] && printf '%s\n' "$pid"
  done
  return 0
}

# Tail of a log file on stderr, for failures.
show_log_tail() {
  local f=$1 n=${2:-40}
  if [[ -s $f ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$(rel "$f")" >&2
    tail -n "$n" "$f" >&2
    printf -- '-----\n' >&2
  fi
}

# Keep the previous run's log as <log>.1, start a fresh one, so readiness checks only see this run.
rotate_log() {
  [[ -f $1 ]] && mv -f "$1" "$1.1"
  : >"$1"
}

JAVA=
ensure_java() {
  [[ -n $JAVA ]] && return 0
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    JAVA=$JAVA_HOME/bin/java
  elif command -v java >/dev/null 2>&1; then
    JAVA=$(command -v java)
  else
    die "java not found: install a JDK 17 (apt-get install openjdk-17-jre-headless)," \
      "or set JAVA_HOME. Kafka and ElasticMQ run on the JVM."
  fi
  local v major
  v=$("$JAVA" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  major=${v%%.*}
  [[ $major == 1 ]] && major=$(cut -d. -f2 <<<"$v") # 1.8.0_x -> 8
  if ! [[ $major =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "$JAVA is Java '${v:-unknown}'; Kafka 4.x needs Java 17+ (ElasticMQ 1.7 11+):" \
      "apt-get install openjdk-17-jre-headless, or set JAVA_HOME"
  fi
}

# Copies broker $1's runtime jars into .brokers/$1/lib with Maven (maven-dependency-plugin
# copy-dependencies on scripts/brokers/$1/pom.xml). Skipped when lib/ was resolved from an
# identical pom: lib/.pom is a copy of the pom it came from, so editing the pom re-resolves.
ensure_lib() {
  local b=$1 pom=$CONF_DIR/$1/pom.xml lib=$STATE/$1/lib
  [[ -f $pom ]] || die "$b: $(rel "$pom") is missing"
  if [[ -f $lib/.pom ]] && cmp -s "$pom" "$lib/.pom"; then
    return 0
  fi
  if [[ -d $lib && -n $(broker_pids "$b") ]]; then
    warn "$b: $(rel "$pom") changed, but $b is running; restart it to use the new jars"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found: it is needed once to fetch the $b jars from Maven Central" \
      "(apt-get install maven)"
  local tmp=$STATE/$b/lib.tmp mlog=$STATE/$b/logs/maven.log t0
  t0=$(now_ms)
  mkdir -p "$STATE/$b/logs"
  rm -rf "$tmp"
  local args=(-B -ntp -f "$pom" dependency:copy-dependencies
    "-DoutputDirectory=$tmp" -DincludeScope=runtime)
  # Offline first: in a fresh clone on a machine that already ran this, ~/.m2 has every jar and
  # -o skips Maven's remote metadata checks. A cold ~/.m2 makes it fail fast; then go online.
  if mvn -o "${args[@]}" >"$mlog" 2>&1; then
    say "$b: copied jars from ~/.m2 in $(secs_since "$t0")"
  else
    say "$b: downloading jars from Maven Central (first run only)..."
    rm -rf "$tmp"
    if ! mvn "${args[@]}" >>"$mlog" 2>&1; then
      show_log_tail "$mlog" 30
      die "$b: Maven could not resolve $(rel "$pom"); full log: $(rel "$mlog")"
    fi
    say "$b: downloaded jars in $(secs_since "$t0")"
  fi
  cp "$pom" "$tmp/.pom"
  rm -rf "$lib"
  mv "$tmp" "$lib"
}

# "4.4.0" from <kafka.version>4.4.0</kafka.version> in a pom.
pom_property() {
  sed -n "s:.*<$2>\([^<]*\)</$2>.*:\1:p" "$1" | head -n 1
}

# up/down take a lock so two of them (e.g. two terminals) do not race. Long-lived children
# (the brokers) are started with `9>&-`: if they inherited fd 9 they would hold the lock for
# as long as they run, and the next up/down would hang.
take_lock() {
  mkdir -p "$STATE"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "another scripts/brokers.sh up/down is still running"
}

# Prints the body of an SQS ListQueues call (AWS JSON 1.0 protocol); fails unless HTTP 200.
sqs_list_queues() {
  local url="http://$HOST:$SQS_PORT/"
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 3 -X POST "$url" \
      -H 'Content-Type: application/x-amz-json-1.0' \
      -H 'X-Amz-Target: AmazonSQS.ListQueues' -d '{}' 2>/dev/null
  else
    # No curl: a minimal HTTP/1.1 request over bash's /dev/tcp.
    # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
    timeout 3 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      printf "POST / HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}" "$0" "$1" >&3
      IFS= read -r status <&3 && [[ $status == "HTTP/1."?" 200"* ]] || exit 1
      cat <&3' "$HOST" "$SQS_PORT" 2>/dev/null
  fi
}

# ---------------------------------------------------------------------------------------------
# Kafka: one KRaft node in combined mode (broker + controller, node.id=1)
# ---------------------------------------------------------------------------------------------

KAFKA_DIR=$STATE/kafka
KAFKA_LOG=$KAFKA_DIR/logs/kafka.log
KAFKA_PROPS=$KAFKA_DIR/server.properties
KAFKA_VERSION=$(pom_property "$CONF_DIR/kafka/pom.xml" kafka.version 2>/dev/null || true)
KAFKA_LOG4J=(-Dlog4j2.configurationFile="$CONF_DIR/kafka/log4j2.properties")

write_kafka_props() {
  cat >"$KAFKA_PROPS" <<EOF
# Generated by scripts/brokers.sh on every \`up\`: edit the script, not this file.
process.roles=broker,controller
node.id=1
# Static single-voter quorum, so the data dir is formatted without --standalone.
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR/data

# One node: every internal topic must have replication factor 1, or __consumer_offsets and
# __transaction_state are never created (consumers loop on "coordinator not available").
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1

# Tests create their topics explicitly, and consumer groups should not wait 3 s to form.
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0

# KIP-848 (consumer protocol) groups take heartbeat and session times from the broker, not the
# client. Kafka's defaults, also its minimums (5 s heartbeats, 45 s sessions), make a partition
# wait up to a heartbeat to move and a crashed member's partitions 45 s; a development broker
# answers faster. Classic groups still use the client's sessionTimeout and heartbeatInterval.
group.consumer.min.heartbeat.interval.ms=500
group.consumer.heartbeat.interval.ms=1000
group.consumer.min.session.timeout.ms=6000
group.consumer.session.timeout.ms=10000

# Sized for a small (2-core) development machine.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
EOF
}

# A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (22 chars). Kafka's own
# generator never starts one with '-', which command-line parsers would take for an option.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $id != -* ]] && break
  done
  printf '%s' "$id"
}

# JVM options for short-lived Kafka tools (format, CLI): fast startup over peak throughput.
kafka_tool_java() {
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dsluice.kafka.log.level=WARN "${KAFKA_LOG4J[@]}" -cp "$KAFKA_DIR/lib/*" "$@"
}

kafka_ready() {
  # KafkaRaftServer logs "Kafka Server started" once the metadata log is loaded and the broker
  # is unfenced and serving (the log was rotated at launch, so the line is from this run).
  # The port must accept connections too.
  grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null && port_open "$HOST" "$KAFKA_PORT"
}

kafka_start() {
  ensure_java
  ensure_lib kafka
  require_free_port kafka "$KAFKA_PORT" "client listener, KAFKA_PORT"
  require_free_port kafka "$KAFKA_CONTROLLER_PORT" "controller listener, KAFKA_CONTROLLER_PORT"
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  write_kafka_props
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    local id
    id=$(new_cluster_id)
    say "kafka: formatting $(rel "$KAFKA_DIR/data") (cluster id $id)"
    if ! kafka_tool_java kafka.tools.StorageTool format --ignore-formatted \
      -t "$id" -c "$KAFKA_PROPS" >"$KAFKA_DIR/logs/format.log" 2>&1; then
      show_log_tail "$KAFKA_DIR/logs/format.log"
      die "kafka: formatting the data dir failed"
    fi
    printf '%s\n' "$(kafka_release)" >"$KAFKA_DIR/data/$KAFKA_RELEASE_FILE"
  fi
  rotate_log "$KAFKA_LOG"
  # setsid: its own session, so Ctrl-C or a hang-up in the terminal that ran `up` does not
  # reach the broker. The marker must stay the first JVM argument (see broker_pids).
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of options
  "${launcher[@]}" "$JAVA" "$(marker kafka)" $KAFKA_HEAP_OPTS \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dsluice.kafka.log.level=INFO "${KAFKA_LOG4J[@]}" \
    -cp "$KAFKA_DIR/lib/*" kafka.Kafka "$KAFKA_PROPS" \
    </dev/null >>"$KAFKA_LOG" 2>&1 9>&- &
}

# The data dir records the release whose features it has (metadata.version, group.version…).
KAFKA_RELEASE_FILE=sluice-features-release
kafka_release() { printf '%s' "${KAFKA_VERSION%.*}"; } # 4.4.0 -> 4.4

# Once Kafka is ready: a data dir formatted by an older release keeps that release's features
# until upgraded (from 3.9: group.version 0, so a 4.x broker offers KIP-848's heartbeat and
# refuses it). Bring it to this release's features, as a fresh format has; once per release.
kafka_after_ready() {
  local release marker=$KAFKA_DIR/data/$KAFKA_RELEASE_FILE
  release=$(kafka_release)
  [[ -n $release && $(cat "$marker" 2>/dev/null) != "$release" ]] || return 0
  if kafka_tool_java org.apache.kafka.tools.FeatureCommand --bootstrap-server \
    "$HOST:$KAFKA_PORT" upgrade --release-version "$release" >"$KAFKA_DIR/logs/features.log" 2>&1; then
    printf '%s\n' "$release" >"$marker"
    say "kafka: upgraded the data dir's features to Kafka $release (it was formatted by an older Kafka)"
  else
    warn "kafka: could not upgrade the data dir's features to Kafka $release; see $(rel "$KAFKA_DIR/logs/features.log")"
  fi
}

kafka_address() { printf '%s:%s' "$HOST" "$KAFKA_PORT"; }
kafka_details() {
  printf 'Kafka %s KRaft, controller %s:%s, data %s' "${KAFKA_VERSION:-?}" "$HOST" \
    "$KAFKA_CONTROLLER_PORT" "$(rel "$KAFKA_DIR/data")"
}

# ---------------------------------------------------------------------------------------------
# ElasticMQ: SQS-compatible server, in memory
# ---------------------------------------------------------------------------------------------

EMQ_DIR=$STATE/elasticmq
EMQ_LOG=$EMQ_DIR/logs/elasticmq.log
EMQ_CONF=$EMQ_DIR/elasticmq.conf
EMQ_VERSION=$(pom_property "$CONF_DIR/elasticmq/pom.xml" elasticmq.version 2>/dev/null || true)

write_elasticmq_conf() {
  # Queues and the rest of the settings are shared with docker-compose.yml; only the bind
  # address (loopback, not the container's 0.0.0.0) and the port differ.
  cat >"$EMQ_CONF" <<EOF
# Generated by scripts/brokers.sh on every \`up\`: edit docker/elasticmq.conf or the script.
include file("$ROOT/docker/elasticmq.conf")
node-address.host = "$HOST"
node-address.port = $SQS_PORT
rest-sqs.bind-hostname = "$HOST"
rest-sqs.bind-port = $SQS_PORT
EOF
  if [[ $ELASTICMQ_PERSIST == 1 ]]; then
    # Kept by `down`, deleted by `down --clean`, like Kafka's data.
    mkdir -p "$EMQ_DIR/data"
    cat >>"$EMQ_CONF" <<EOF
queues-storage { enabled = true, path = "$EMQ_DIR/data/queues.conf" }
messages-storage { enabled = true, uri = "jdbc:h2:$EMQ_DIR/data/messages" }
EOF
  fi
}

# Names of the queues declared in the `queues { ... }` block of docker/elasticmq.conf (the keys
# one level inside it).
declared_queues() {
  awk '
    /^queues[[:space:]]*[{]/ { inq = 1; depth = 1; next }
    inq {
      line = $0; sub(/#.*/, "", line); sub(/\/\/.*/, "", line)
      if (depth == 1 && line ~ /^[[:space:]]*"?[A-Za-z0-9_.-]+"?[[:space:]]*[{]/) {
        name = line; sub(/^[[:space:]]*"?/, "", name); sub(/"?[[:space:]]*[{].*/, "", name); print name
      }
      depth += gsub(/[{]/, "{", line) - gsub(/[}]/, "}", line)
      if (depth <= 0) inq = 0
    }' "$ROOT/docker/elasticmq.conf"
}

# Ready = ListQueues answers and lists every declared queue: ElasticMQ opens its port and logs
# "started" a few ms before it has created the queues from its config.
elasticmq_ready() {
  local body q
  body=$(sqs_list_queues) || return 1
  for q in $(declared_queues); do
    [[ $body == *"/$q\""* ]] || return 1
  done
}

elasticmq_start() {
  ensure_java
  ensure_lib elasticmq
  [[ -f $ROOT/docker/elasticmq.conf ]] || die "elasticmq: docker/elasticmq.conf is missing"
  require_free_port elasticmq "$SQS_PORT" "SQS endpoint, SQS_PORT"
  mkdir -p "$EMQ_DIR/logs"
  write_elasticmq_conf
  rotate_log "$EMQ_LOG"
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  # shellcheck disable=SC2086 # ELASTICMQ_HEAP_OPTS is a list of options
  "${launcher[@]}" "$JAVA" "$(marker elasticmq)" $ELASTICMQ_HEAP_OPTS \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Dconfig.file="$EMQ_CONF" \
    -cp "$EMQ_DIR/lib/*" org.elasticmq.server.Main \
    </dev/null >>"$EMQ_LOG" 2>&1 9>&- &
}

elasticmq_address() { printf 'http://%s:%s' "$HOST" "$SQS_PORT"; }
elasticmq_details() {
  local where='in memory'
  [[ $ELASTICMQ_PERSIST == 1 ]] && where="persisted in $(rel "$EMQ_DIR/data")"
  printf 'ElasticMQ %s, %s, queues http://%s:%s/000000000000/<name>' \
    "${EMQ_VERSION:-?}" "$where" "$HOST" "$SQS_PORT"
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ: use the one that is running; start the system's rabbitmq-server only if none is
# ---------------------------------------------------------------------------------------------

RABBIT_DIR=$STATE/rabbitmq
# Exists only for a RabbitMQ that *this script* started ("port=5672 pid=1234", pid once it is
# ready). `down` stops RabbitMQ only if this file names the process listening now: never a
# system or Docker RabbitMQ, nor one that was restarted by something else since.
RABBIT_OWNED=$RABBIT_DIR/started-by-brokers-sh

rabbitmq_ready() { port_open "$HOST" "$AMQP_PORT"; }

# pid of the process listening on the AMQP port ("" if none or unknown).
rabbitmq_pid() { port_owner "$AMQP_PORT" | sed -n 's/^pid \([0-9]*\).*/\1/p'; }

rabbitmq_start() {
  mkdir -p "$RABBIT_DIR/logs"
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    die "rabbitmq: nothing listens on $HOST:$AMQP_PORT and rabbitmq-server is not installed." \
      "Install it (apt-get install rabbitmq-server) and re-run, or run 'docker compose up -d" \
      "rabbitmq', or set AMQP_PORT to where your RabbitMQ listens."
  fi
  say "rabbitmq: nothing on $HOST:$AMQP_PORT; starting rabbitmq-server -detached"
  printf 'port=%s\n' "$AMQP_PORT" >"$RABBIT_OWNED"
  # The Debian package's wrapper re-runs itself as the rabbitmq user, with the system config
  # (/etc/rabbitmq) and data dir (/var/lib/rabbitmq); it must be run as root or rabbitmq.
  # RABBITMQ_NODE_PORT only applies if rabbitmq.conf sets no listener of its own.
  if ! RABBITMQ_NODE_PORT=$AMQP_PORT rabbitmq-server -detached \
    </dev/null >"$RABBIT_DIR/logs/start.log" 2>&1 9>&-; then
    rm -f "$RABBIT_OWNED"
    show_log_tail "$RABBIT_DIR/logs/start.log"
    die "rabbitmq: 'rabbitmq-server -detached' failed (it must run as root or rabbitmq)"
  fi
}

# Called once the RabbitMQ we started is ready: remember which process it is.
rabbitmq_record_owned() {
  [[ -f $RABBIT_OWNED ]] && printf 'port=%s pid=%s\n' "$AMQP_PORT" "$(rabbitmq_pid)" >"$RABBIT_OWNED"
  return 0
}

# True if the RabbitMQ listening now is the one this script started.
rabbitmq_owned() {
  [[ -f $RABBIT_OWNED ]] || return 1
  local rec port pid
  rec=$(cat "$RABBIT_OWNED")
  port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$rec")
  pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$rec")
  [[ $port == "$AMQP_PORT" ]] || return 1
  # No pid yet: `up` was interrupted before the broker was ready; it is still ours.
  [[ -z $pid || $pid == "$(rabbitmq_pid)" ]]
}

rabbitmq_stop() {
  if ! rabbitmq_ready; then
    say "rabbitmq   not running"
    rm -f "$RABBIT_OWNED"
    return 0
  fi
  if ! rabbitmq_owned; then
    say "rabbitmq   left running on $HOST:$AMQP_PORT (not started by brokers.sh)"
    return 0
  fi
  command -v rabbitmqctl >/dev/null 2>&1 ||
    die "rabbitmq: started by brokers.sh but rabbitmqctl is missing; stop it by hand"
  local t0
  t0=$(now_ms)
  if ! rabbitmqctl stop </dev/null >"$RABBIT_DIR/logs/stop.log" 2>&1 9>&-; then
    show_log_tail "$RABBIT_DIR/logs/stop.log"
    die "rabbitmq: 'rabbitmqctl stop' failed"
  fi
  rm -f "$RABBIT_OWNED"
  say "rabbitmq   stopped in $(secs_since "$t0") (it was started by brokers.sh)"
}

rabbitmq_address() { printf 'amqp://guest:guest@%s:%s' "$HOST" "$AMQP_PORT"; }
rabbitmq_details() {
  if rabbitmq_owned; then
    printf 'started by brokers.sh'
  else
    printf 'not managed by brokers.sh'
  fi
}

rabbitmq_log_tail() {
  local f
  show_log_tail "$RABBIT_DIR/logs/start.log"
  for f in /var/log/rabbitmq/*.log; do
    [[ -f $f ]] && show_log_tail "$f" 20
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

# Normalises broker names (aliases) into the global TARGETS array; default: all.
parse_targets() {
  TARGETS=()
  local a
  for a in "$@"; do
    case $a in
    kafka) TARGETS+=(kafka) ;;
    elasticmq | sqs) TARGETS+=(elasticmq) ;;
    rabbitmq | rabbit | amqp) TARGETS+=(rabbitmq) ;;
    *) die "unknown broker '$a' (expected kafka, elasticmq/sqs or rabbitmq/amqp)" ;;
    esac
  done
  ((${#TARGETS[@]})) || TARGETS=("${ALL_BROKERS[@]}")
}

# True if the broker is already there: our JVM for Kafka/ElasticMQ (maybe still starting),
# anything listening on the AMQP port for RabbitMQ.
is_running() {
  case $1 in
  rabbitmq) rabbitmq_ready ;;
  *) [[ -n $(broker_pids "$1") ]] ;;
  esac
}

jvm_log() {
  case $1 in
  kafka) printf '%s' "$KAFKA_LOG" ;;
  elasticmq) printf '%s' "$EMQ_LOG" ;;
  esac
}

# Stops a JVM broker: SIGTERM (Kafka does a controlled shutdown), then SIGKILL after
# STOP_TIMEOUT seconds.
stop_jvm() {
  local b=$1 pids t0 deadline
  pids=$(broker_pids "$b")
  if [[ -z $pids ]]; then
    say "$(printf '%-10s' "$b") not running"
    rm -f "$STATE/$b/$b.pid"
    return 0
  fi
  t0=$(now_ms)
  deadline=$((SECONDS + STOP_TIMEOUT))
  # shellcheck disable=SC2086 # one pid per word
  kill -TERM $pids 2>/dev/null || true
  while [[ -n $(broker_pids "$b") ]]; do
    if ((SECONDS >= deadline)); then
      warn "$b: still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
      # shellcheck disable=SC2046 # one pid per word
      kill -KILL $(broker_pids "$b") 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$STATE/$b/$b.pid"
  say "$(printf '%-10s' "$b") stopped (pid ${pids//$'\n'/ }) in $(secs_since "$t0")"
}

cmd_up() {
  parse_targets "$@"
  take_lock
  local b pids failed=0 t0 rc
  local -A state=()
  t0=$(now_ms)

  # Phase 1: launch (non-blocking), so Kafka and ElasticMQ boot in parallel.
  for b in "${TARGETS[@]}"; do
    if is_running "$b"; then
      state[$b]=running
      continue
    fi
    # Each start runs in a subshell, so that its `die` fails only this broker. It must not be
    # an `if`/`||` operand: bash would then ignore `set -e` inside it.
    set +e
    (
      set -e
      "${b}_start"
    )
    rc=$?
    set -e
    if ((rc == 0)); then state[$b]=started; else state[$b]=failed; fi
  done

  # Phase 2: wait until each one is ready.
  for b in "${TARGETS[@]}"; do
    [[ ${state[$b]} == failed ]] && {
      failed=1
      continue
    }
    local deadline=$((SECONDS + READY_TIMEOUT)) ok=1
    until "${b}_ready"; do
      if [[ $b != rabbitmq && -z $(broker_pids "$b") ]]; then
        warn "$b: the process exited during startup"
        ok=0
        break
      fi
      if ((SECONDS >= deadline)); then
        warn "$b: not ready after ${READY_TIMEOUT}s (BROKERS_READY_TIMEOUT)"
        ok=0
        break
      fi
      sleep 0.25
    done
    if ((ok)); then
      if [[ $b != rabbitmq ]]; then
        pids=$(broker_pids "$b")
        printf '%s\n' "$pids" >"$STATE/$b/$b.pid"
      else
        [[ ${state[$b]} == started ]] && rabbitmq_record_owned
        pids=$(rabbitmq_pid)
      fi
      [[ $b == kafka && ${state[$b]} == started ]] && kafka_after_ready
      local how
      how="ready in $(secs_since "$t0")"
      [[ ${state[$b]} == running ]] && how="already running"
      printf '%-10s %-38s %s (pid %s; %s)\n' "$b" "$("${b}_address")" "$how" \
        "${pids:-?}" "$("${b}_details")"
    else
      failed=1
      case $b in
      rabbitmq)
        rabbitmq_log_tail
        # Not ready, so nothing of ours is listening: forget it, so that a later `down` never
        # stops a RabbitMQ that something else starts on this port.
        rm -f "$RABBIT_OWNED"
        ;;
      *)
        show_log_tail "$(jvm_log "$b")"
        # Do not leave a half-started broker behind; `up` can simply be re-run.
        if [[ -n $(broker_pids "$b") ]]; then
          stop_jvm "$b" >/dev/null
          warn "$b: stopped the unready process"
        fi
        warn "$b: full log: $(rel "$(jvm_log "$b")")"
        ;;
      esac
    fi
  done

  if ((failed)); then
    die "some brokers did not start (see above)"
  fi
  say ""
  say "Point Sluice at them:"
  for b in "${TARGETS[@]}"; do
    case $b in
    kafka) say "  export KAFKA_BROKERS=$(kafka_address)" ;;
    elasticmq) say "  export SQS_ENDPOINT=$(elasticmq_address)" ;;
    rabbitmq) say "  export AMQP_URL=$(rabbitmq_address)" ;;
    esac
  done
}

cmd_down() {
  local clean=0 args=() b
  for b in "$@"; do
    case $b in
    --clean) clean=1 ;;
    *) args+=("$b") ;;
    esac
  done
  parse_targets "${args[@]+"${args[@]}"}"
  take_lock
  for b in "${TARGETS[@]}"; do
    case $b in
    rabbitmq) rabbitmq_stop ;;
    *) stop_jvm "$b" ;;
    esac
  done
  if ((clean)); then
    for b in "${TARGETS[@]}"; do
      if [[ -d $STATE/$b/data ]]; then
        rm -rf "${STATE:?}/$b/data"
        say "$(printf '%-10s' "$b") removed $(rel "$STATE/$b/data")"
      fi
    done
  fi
}

cmd_status() {
  parse_targets "$@"
  local b pids st rc=0 owner note
  for b in "${TARGETS[@]}"; do
    note=
    if [[ $b == rabbitmq ]]; then
      pids=$(rabbitmq_pid)
      if rabbitmq_ready; then st=up; note=$(rabbitmq_details); else st=down; fi
    else
      pids=$(broker_pids "$b" | tr '\n' ' ')
      pids=${pids% }
      if [[ -n $pids ]]; then
        if "${b}_ready"; then st=up; else st=starting; fi
        note="log $(rel "$(jvm_log "$b")")"
      else
        st=down
        local port=$KAFKA_PORT
        [[ $b == elasticmq ]] && port=$SQS_PORT
        if port_open "$HOST" "$port"; then
          owner=$(port_owner "$port")
          note="but $HOST:$port is in use by another process${owner:+: $owner}"
        fi
      fi
    fi
    [[ $st == up ]] || rc=1
    printf '%-10s %-8s %-12s %-38s %s\n' "$b" "$st" "${pids:+pid $pids}" "$("${b}_address")" "$note"
  done
  return "$rc"
}

cmd_kafka_cli() {
  (($#)) || die "usage: scripts/brokers.sh kafka-cli TOOL [ARGS...]
  TOOL: topics, console-producer, console-consumer, consumer-groups, get-offsets,
        metadata-quorum, configs, or a fully qualified main class.
  e.g.: scripts/brokers.sh kafka-cli topics --bootstrap-server $HOST:$KAFKA_PORT --list"
  local tool=$1 class
  shift
  case $tool in
  topics) class=org.apache.kafka.tools.TopicCommand ;;
  console-producer) class=org.apache.kafka.tools.ConsoleProducer ;;
  console-consumer) class=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  consumer-groups) class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  get-offsets) class=org.apache.kafka.tools.GetOffsetShell ;;
  metadata-quorum) class=org.apache.kafka.tools.MetadataQuorumCommand ;;
  configs) class=org.apache.kafka.tools.ConfigCommand ;;
  *.*) class=$tool ;;
  *) die "unknown Kafka tool '$tool' (run 'scripts/brokers.sh kafka-cli' for the list)" ;;
  esac
  ensure_java
  mkdir -p "$KAFKA_DIR/logs"
  ensure_lib kafka >&2 # progress on stderr: keep the tool's stdout clean
  kafka_tool_java "$class" "$@"
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  kafka-cli) cmd_kafka_cli "$@" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
  esac
}

main "$@"
