/**
 * Kafka or ElasticMQ of the fault tests' own: `scripts/brokers.sh` with its
 * own state folder (BROKERS_STATE) and ports, so freezing or restarting it
 * disturbs no other test, and `down` stops only it.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const script = resolve(import.meta.dirname, '../../../../scripts/brokers.sh');

export interface PrivateBroker {
  /** Where clients connect: `http://127.0.0.1:<port>` or `127.0.0.1:<port>`. */
  readonly address: string;
  /** SIGSTOP: the broker keeps its sockets open and answers nothing. */
  freeze(): void;
  /** SIGCONT after {@link freeze}. */
  thaw(): void;
  /**
   * `brokers.sh down`, then `up` again with the same state and port: clients
   * see connections refused until it is ready again. ElasticMQ keeps its
   * queues and messages only when started with `persist`.
   */
  restart(): Promise<void>;
  /** Stops it and deletes its folder. */
  stop(): void;
  /** Runs a Kafka CLI tool against it (`brokers.sh kafka-cli TOOL ARGS…`); returns its output. */
  kafkaCli(tool: string, ...args: string[]): string;
}

/** Why a private broker cannot start here, or undefined when it can. */
export function privateBrokerUnavailable(): string | undefined {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error !== undefined) {
    return 'java is not installed (Kafka and ElasticMQ run on the JVM)';
  }
  return undefined;
}

/** A one-node Kafka (KRaft) of the tests' own, on `port` (its controller on `port + 1`). */
export function startPrivateKafka(port = 19092): PrivateBroker {
  const ports = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1) };
  return start('kafka', ports, port, `127.0.0.1:${port}`);
}

/**
 * An ElasticMQ of the tests' own, on `port`. With `persist` its queues and
 * messages are kept on disk (ELASTICMQ_PERSIST=1), so they survive {@link PrivateBroker.restart}.
 */
export function startPrivateElasticMq(port = 19324, persist = false): PrivateBroker {
  const env = { SQS_PORT: String(port), ELASTICMQ_PERSIST: persist ? '1' : '0' };
  return start('elasticmq', env, port, `http://127.0.0.1:${port}`);
}

function start(
  broker: 'elasticmq' | 'kafka',
  ports: Record<string, string>,
  port: number,
  address: string,
): PrivateBroker {
  const state = mkdtempSync(join(tmpdir(), `sluice-${broker}-`));
  const env = { ...process.env, ...ports, BROKERS_STATE: state };
  execFileSync('bash', [script, 'up', broker], { env, stdio: 'ignore' });
  let pid = listener(port);
  return {
    address,
    freeze: () => process.kill(pid, 'SIGSTOP'),
    thaw: () => process.kill(pid, 'SIGCONT'),
    // Asynchronous, so the test keeps reading its consumers' output meanwhile.
    restart: async () => {
      await run('bash', [script, 'down', broker], { env });
      await run('bash', [script, 'up', broker], { env });
      pid = listener(port);
    },
    stop: () => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
      spawnSync('bash', [script, 'down', '--clean', broker], { env, stdio: 'ignore' });
      rmSync(state, { recursive: true, force: true });
    },
    kafkaCli: (tool, ...args) =>
      execFileSync('bash', [script, 'kafka-cli', tool, ...args], { env }).toString(),
  };
}

const run = promisify(execFile);

/** The pid listening on 127.0.0.1:`port`. */
function listener(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString();
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (pid === undefined) throw new Error(`no process listens on port ${port}: ${out}`);
  return Number(pid);
}
