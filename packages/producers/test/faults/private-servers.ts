/**
 * A redis-server or nats-server (with JetStream) of the fault tests' own,
 * on its own port and data folder, so restarting it disturbs no other test
 * (never the shared ones on 6379 and 4222). Both keep their data on disk
 * across a restart: Redis in an append-only file written on every command,
 * JetStream in its file store.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateServer {
  /** Where clients connect: `redis://127.0.0.1:<port>` or `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /**
   * Stops the server (SIGTERM, waiting for it to exit), keeps it down for
   * `downMs`, then starts it again on the same port and folder and waits
   * until it accepts connections. Asynchronous, so the test keeps reading its
   * consumers' output meanwhile.
   */
  restart(downMs?: number): Promise<void>;
  /** Stops it and deletes its folder. */
  stop(): Promise<void>;
}

type Kind = 'redis' | 'nats';

const binaries: Record<Kind, string> = { redis: 'redis-server', nats: 'nats-server' };

/** Why a private `kind` server cannot start here, or undefined when it can. */
export function privateServerUnavailable(kind: Kind): string | undefined {
  if (spawnSync(binaries[kind], ['--version'], { stdio: 'ignore' }).error !== undefined) {
    return `${binaries[kind]} is not installed (apt-get install ${kind === 'redis' ? 'redis-server' : 'nats-server'})`;
  }
  return undefined;
}

function args(kind: Kind, port: number, dir: string): string[] {
  if (kind === 'redis') {
    return [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    ];
  }
  return ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir];
}

/** Starts a private `kind` server on `port` (defaults: 16379 for redis, 14222 for nats). */
export async function startPrivateServer(kind: Kind, port?: number): Promise<PrivateServer> {
  const p = port ?? (kind === 'redis' ? 16379 : 14222);
  const dir = mkdtempSync(join(tmpdir(), `sluice-${kind}-`));
  let child: ChildProcess | undefined;
  let output = '';
  const up = async () => {
    output = '';
    child = spawn(binaries[kind], args(kind, p, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(p, 30_000, () => output);
  };
  const down = async () => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };
  await up();
  return {
    url: `${kind}://127.0.0.1:${p}`,
    restart: async (downMs = 1000) => {
      await down();
      await new Promise((r) => setTimeout(r, downMs));
      await up();
    },
    stop: async () => {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; rejects after `ms`. */
async function waitForPort(port: number, ms: number, output: () => string): Promise<void> {
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
    if (Date.now() > until) {
      throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
