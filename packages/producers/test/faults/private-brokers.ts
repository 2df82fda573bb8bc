/**
 * Kafka or ElasticMQ of the fault tests' own: `scripts/brokers.sh` with its
 * own state folder (BROKERS_STATE) and ports, so freezing or restarting it
 * disturbs no other test, and `down` stops only it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(import.meta.dirname, '../../../../scripts/brokers.sh');

export interface PrivateBroker {
  /** Where clients connect: `http://127.0.0.1:<port>` or `127.0.0.1:<port>`. */
  readonly address: string;
  /** SIGSTOP: the broker keeps its sockets open and answers nothing. */
  freeze(): void;
  /** SIGCONT after {@link freeze}. */
  thaw(): void;
  /** Stops it and deletes its folder. */
  stop(): void;
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

export function startPrivateElasticMq(port = 19324): PrivateBroker {
  return start('elasticmq', { SQS_PORT: String(port) }, port, `http://127.0.0.1:${port}`);
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
  const pid = listener(port);
  return {
    address,
    freeze: () => process.kill(pid, 'SIGSTOP'),
    thaw: () => process.kill(pid, 'SIGCONT'),
    stop: () => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
      spawnSync('bash', [script, 'down', '--clean', broker], { env, stdio: 'ignore' });
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** The pid listening on 127.0.0.1:`port`. */
function listener(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString();
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (pid === undefined) throw new Error(`no process listens on port ${port}: ${out}`);
  return Number(pid);
}
