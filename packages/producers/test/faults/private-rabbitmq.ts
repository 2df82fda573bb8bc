/**
 * A RabbitMQ node of the fault tests' own, on its own port and data folder,
 * so they can freeze it, close its connections and restart it without
 * touching the RabbitMQ that every other test uses. Started from the Debian
 * package's `rabbitmq-server`, as the `rabbitmq` user (the package's
 * scripts switch to it), so the folder is handed to that user.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface PrivateRabbitMq {
  readonly url: string;
  readonly port: number;
  /** SIGSTOP: the node keeps its sockets open and answers nothing. */
  freeze(): void;
  /** SIGCONT after {@link freeze}. */
  thaw(): void;
  /** Closes every client connection, as an operator or a failover would. */
  closeConnections(): void;
  /**
   * `rabbitmqctl stop_app`, then `start_app`: the broker application
   * restarts (every connection is closed and refused until it is back)
   * while the node stays up; durable queues and persistent messages survive.
   */
  restart(): Promise<void>;
  /** Stops the node and deletes its folder. */
  stop(): void;
}

/** Why a private node cannot start here, or undefined when it can. */
export function privateRabbitMqUnavailable(): string | undefined {
  if (spawnSync('rabbitmq-server', ['--help'], { stdio: 'ignore' }).error !== undefined) {
    return 'rabbitmq-server is not installed (apt-get install rabbitmq-server)';
  }
  if (process.getuid?.() !== 0) {
    return 'a private RabbitMQ node needs root, to run as the rabbitmq user';
  }
  return undefined;
}

export async function startPrivateRabbitMq(port = 5679): Promise<PrivateRabbitMq> {
  const node = `sluice-faults-${port}@localhost`;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-rabbitmq-'));
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`);
  writeFileSync(join(dir, 'plugins'), '[].\n');
  const uid = Number(execFileSync('id', ['-u', 'rabbitmq']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'rabbitmq']).toString().trim());
  for (const f of ['', 'rabbitmq.conf', 'plugins']) chownSync(join(dir, f), uid, gid);
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_DIST_PORT: String(port + 20000),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
  };
  execFileSync('rabbitmq-server', ['-detached'], { env, stdio: 'ignore' });
  await waitForPort(port, 60_000);
  const ctl = (...args: string[]): string =>
    execFileSync('rabbitmqctl', ['-n', node, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim();
  const pid = Number(ctl('eval', 'list_to_integer(os:getpid()).'));
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    freeze: () => process.kill(pid, 'SIGSTOP'),
    thaw: () => process.kill(pid, 'SIGCONT'),
    closeConnections: () => void ctl('close_all_connections', 'sluice fault test'),
    // Asynchronous, so the test keeps reading its consumers' output meanwhile.
    restart: async () => {
      const ctlAsync = (command: string) => run('rabbitmqctl', ['-n', node, command], { env });
      await ctlAsync('stop_app');
      await ctlAsync('start_app');
      await waitForPort(port, 60_000);
    },
    stop: () => {
      try {
        process.kill(pid, 'SIGCONT');
        ctl('stop');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const run = promisify(execFile);

/** Resolves once something accepts connections on 127.0.0.1:`port`; rejects after `ms`. */
async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
