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

Options:
  -h, --help        help for a command: sluice run --help
  -v, --version     print the version
  --env-file FILE   (run, validate, topology, test) read environment
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
};
