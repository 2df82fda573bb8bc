/** The `--help` texts, one per command, each with examples. */

export const HELP: Record<string, string> = {
  main: `sluice: run pipelines declared in a YAML or JSON file

Usage: sluice <command> [options] <file>

Commands:
  run <file>        start the pipeline; drain on SIGTERM/SIGINT
  validate <file>…  report every problem in each file, with line and column
  topology <file>   draw the stage graph
  dry-run <file>    connect to the source and every sink; consume nothing
  test <file>       run the file's config-level tests through the real handlers
  schema            print the file's JSON Schema (for editors)
  top <url>         the live view of a pipeline run elsewhere, from its admin server
  k8s <file>        print a Kubernetes Deployment and KEDA ScaledObject
  dlq <action> <file>  list, show, replay or purge the broker's dead letters

Options:
  -h, --help        help for a command: sluice run --help
  -v, --version     print the version
  --env-file FILE   (run, validate, topology, test, k8s, dlq) read environment
                    variables from FILE first; variables already set win;
                    may be given more than once

Examples:
  sluice validate pipeline.yaml
  ORDERS_QUEUE_URL=http://127.0.0.1:9324/000000000000/orders sluice run pipeline.yaml
  sluice schema > pipeline.schema.json`,
  'dry-run': `Usage: sluice dry-run [--env-file FILE] <file>

Validates the file, then connects to its source and to every sink and says,
one line each, what it reached: the topics, the queue, the table. It starts
no pipeline: nothing is consumed, acked or written. Each check has 15 s.

Exit codes: 0 everything answered; 1 something could not be reached;
2 invalid file.

Examples:
  sluice dry-run pipeline.yaml
  sluice dry-run --env-file .env pipeline.yaml`,
  run: `Usage: sluice run [--log-level LEVEL] [--env-file FILE] [--admin-port N] <file>

Starts the pipeline. It runs until its source is exhausted (a generator with
a count, the end of a file or of stdin), then drains and exits; or until
SIGTERM/SIGINT, which drains (a second signal exits at once). The handler
module's setup(context) runs before the start, its teardown(context) after
the stop (for at most shutdownTimeout); then the command exits, even if the
module left a pool or timer open.

On a terminal it shows a live view on stderr (rate per stage, in flight,
acked, failed); otherwise it writes JSON logs (pino) to stderr.

Options:
  --log-level LEVEL   pino level for the JSON logs: fatal, error, warn,
                      info (default), debug, trace or silent; debug also
                      lists handles still open at exit
  --env-file FILE     read environment variables from FILE (KEY=value
                      lines) before the pipeline file; variables already
                      set win; may be given more than once
  --admin-port N      serve health probes, stats, topology, metrics and
                      pause/resume on 127.0.0.1:N (docs/operations.md);
                      POST routes need SLUICE_ADMIN_TOKEN, another address
                      (SLUICE_ADMIN_HOST) needs it too

Exit codes: 0 all acked; 1 messages left un-acked or a crash; 2 invalid file;
130 stopped by a second signal.

Examples:
  sluice run examples/config-driven/pipeline.yaml
  cat events.jsonl | sluice run stdin-pipeline.yaml > out.jsonl
  sluice run --env-file .env pipeline.yaml`,
  validate: `Usage: sluice validate [--print] [--no-handlers] [--env-file FILE] <file>...

Checks each file: YAML or JSON syntax, \${VAR} interpolation, every option,
and the handler module's exports. Each problem is printed as
file:line:col: path: message. Secrets are never printed.

Checking the exports imports the handler module, which runs its top-level
code. To lint a file you do not trust, pass --no-handlers.

Options:
  --print         also print the resolved configuration (secrets redacted)
  --no-handlers   do not import the handler module; its exports go unchecked
  --env-file FILE read environment variables from FILE first

Exit codes: 0 all valid; 2 any invalid.

Examples:
  sluice validate pipeline.yaml
  sluice validate pipelines/*.yaml
  SQS_URL=http://localhost:9324/q sluice validate --print pipeline.yaml`,
  topology: `Usage: sluice topology [--env-file FILE] <file>

Draws the stage graph: producers → processors → batchers → batch
processors, with their concurrency and demand.

Example:
  sluice topology pipeline.yaml`,
  test: `Usage: sluice test [--tests FILE] [--env-file FILE] <file>

Runs config-level tests: each case pushes its input messages through the
pipeline's real handlers (with the test producer instead of the file's, one
processor and one batch processor, so results are deterministic) and checks
which messages succeeded or failed and what each handleBatch received.

Cases come from the file's tests: list, or from FILE (a YAML file with a
tests: list, and optional stubs: for every case). The handler module's
setup runs once before the cases, its teardown once after. A case:

  tests:
    - name: rejects orders without an amount
      input: [{ n: 0 }, { n: 7 }]
      stubs: { db: ./stubs/db.ts }   # context.db is this module's default export
      context: { rate: 2 }           # context entries replaced by these values
      expect:
        successful: 1                                  # a count, or a list
        failed: [{ data: { n: 0 }, reason: no amount }] # data and/or a reason substring
        batches:
          warehouse: [[{ id: 7, customer: c7, amount: 259 }]]

Exit codes: 0 all passed; 1 a case failed; 2 invalid file.

Examples:
  sluice test pipeline.yaml
  sluice test --tests pipeline.tests.yaml pipeline.yaml`,
  schema: `Usage: sluice schema

Prints the pipeline file's JSON Schema. Point your editor at it, e.g. with a
first line "# yaml-language-server: $schema=./pipeline.schema.json".

Example:
  sluice schema > pipeline.schema.json`,
  top: `Usage: sluice top [--once] <url>

Shows the live view \`sluice run\` draws (messages per second, acked, failed,
in flight, each stage's concurrency and rate, the broker backlog, stuck
stages) for a pipeline running elsewhere, read every second from the /stats
route of its admin server (sluice run --admin-port N, or startAdminServer).
Runs until Ctrl-C; --once prints one frame to stdout and exits.

Exit codes: 0 done; 1 the server could not be read (--once); 2 bad usage.

Examples:
  sluice top http://127.0.0.1:9465
  sluice top --once http://10.0.0.7:9465`,
  k8s: `Usage: sluice k8s [options] <file>

Prints YAML for Kubernetes: a Deployment whose container runs
sluice run <file> --admin-port N, with its liveness probe on /livez and its
readiness probe on /readyz, terminationGracePeriodSeconds of
2 × shutdownTimeout + 10 s (the drain, then teardown, each bounded by
shutdownTimeout), and every \${VAR} of the file from the Secret <name>-env;
and a KEDA ScaledObject on the broker's backlog (SQS queue length, Kafka lag,
RabbitMQ queue length, Redis Streams lag, NATS JetStream lag). See
docs/kubernetes.md.

Options:
  --image IMAGE          the container image (default <name>:latest)
  --namespace NS         the manifests' namespace
  --replicas N           the Deployment's replicas (default 1), also KEDA's
                         minimum unless --min-replicas
  --min-replicas N       KEDA's minReplicaCount
  --max-replicas N       KEDA's maxReplicaCount (default 10)
  --admin-port N         the admin server's port (default 9465)
  --threshold N          backlog per replica (default: what one replica holds,
                         processors' concurrency × maxDemand plus batchers'
                         concurrency × batchSize)
  --workdir DIR          where the file is in the image (default /app)
  --nats-monitoring H:P  NATS monitoring endpoint (default <server>:8222)
  --env-file FILE        read environment variables from FILE first

Exit codes: 0 printed; 2 invalid file or option.

Examples:
  sluice k8s --image registry.example.com/orders:1.4 pipeline.yaml > k8s.yaml
  sluice k8s --min-replicas 0 --max-replicas 20 pipeline.yaml`,
  dlq: `Usage: sluice dlq <list|show|replay|purge> [options] <file>

Works on the dead letters of the file's broker: the SQS dead-letter queue
(deadLetterQueueUrl, or the source queue's redrive policy), the Kafka dlq
topic (what its consumer group, <groupId>-dlq, has not committed past), or
the RabbitMQ queue the source dead-letters into. See docs/dlq.md.

  list    count, and the failure reasons with their counts
  show    the messages: id, key, attempts, reason, body
  replay  send messages back to their source; each leaves the dead letters
          only once the source confirmed it, so an interrupted replay loses
          nothing (run it again)
  purge   delete them all (needs --yes)

Options:
  --filter F     reason=TEXT (reason contains TEXT), key=KEY or id=ID;
                 may be given more than once (all must match)
  --limit N      at most N messages (show: 100 by default)
  --rate R       replay at most R messages per second
  --dlq NAME     the dead-letter queue URL, topic or queue, if the file
                 does not say
  --group G      Kafka: the consumer group that tracks replays
  --yes          purge: yes, delete them
  --env-file FILE  read environment variables from FILE first

Exit codes: 0 done; 1 a broker error; 2 invalid file or option.

Examples:
  sluice dlq list pipeline.yaml
  sluice dlq show --filter reason=timeout pipeline.yaml
  sluice dlq replay --filter reason=timeout --rate 50 pipeline.yaml
  sluice dlq purge --yes pipeline.yaml`,
};
