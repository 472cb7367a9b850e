import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransientError, UserError } from '../core/errors.js';

/** Quote a string for a POSIX shell. */
export const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Somewhere processes can be started: this machine, or a machine reached over SSH. */
export interface ProcessHost {
  readonly label: string;
  /** Host name or address the node's ports are reachable at from the deployer's side. */
  readonly endpointHost: string;
  /** Run a POSIX shell script on the host. */
  exec(script: string, opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Start a long-running shell script on the host (e.g. `tail -F`); kill the child to stop it. */
  stream(script: string): ChildProcess;
}

/**
 * Runs `cmd args` with `script` on its standard input. Scripts travel on stdin, never in an
 * argument, so what they carry (a node's environment) is not visible in any process list.
 */
function run(
  cmd: string,
  args: string[],
  script: string,
  timeoutMs: number,
  label: string,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: hostEnvironment() });
    child.stdin.on('error', () => {}); // a shell that exits early closes its stdin: 'close' reports it
    child.stdin.end(script);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new TransientError('network', `${label}: cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL')
        reject(new TransientError('timeout', `${label}: command timed out after ${timeoutMs} ms`));
      else resolve({ stdout, stderr, code: code ?? 1 });
    });
  });
}

const INHERITED = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_[A-Z]+|TZ|TMPDIR|SSH_AUTH_SOCK)$/;

/**
 * What a started process inherits from the operator's own process: the basics only, never the
 * operator's other variables (an operator key in `env:NAME`, cloud tokens). The node gets its
 * own environment from the adapter, explicitly.
 */
function hostEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => INHERITED.test(k)));
}

export class LocalHost implements ProcessHost {
  readonly label = 'local';
  readonly endpointHost = '127.0.0.1';
  exec(script: string, opts: { timeoutMs?: number } = {}) {
    return run('sh', ['-s'], script, opts.timeoutMs ?? 30_000, this.label);
  }
  stream(script: string) {
    return spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: hostEnvironment() });
  }
}

export interface SshHostConfig {
  host: string;
  port?: number;
  user: string;
  identityFile: string;
  /** known_hosts file to check the host key against. */
  knownHostsFile?: string;
  /** `yes` (default, needs knownHostsFile), `accept-new`, or `no` (tests only). */
  strictHostKeyChecking?: 'yes' | 'accept-new' | 'no';
  /** Where the node's ports are reachable from here; defaults to `host`. */
  endpointHost?: string;
  connectTimeoutS?: number;
  /** The `ssh` binary. */
  sshBinary?: string;
  /**
   * Seconds an idle shared connection stays open (OpenSSH `ControlPersist`): the commands of a
   * deploy reuse one authenticated connection instead of a key exchange each. 0 turns sharing
   * off. Default 60.
   */
  connectionPersistS?: number;
}

/**
 * The control sockets of this process's shared SSH connections (OpenSSH `ControlMaster`), in one
 * owner-only directory made on first use. A socket is named by everything that decides how the
 * connection is authenticated (user, host, port, identity, known_hosts, checking), so a host
 * configured with another key never rides on a connection made with this one.
 */
const shared = {
  dir: undefined as string | undefined,
  sockets: new Map<string, { ssh: string; user: string; host: string; port: number }>(),
};

function controlSocket(c: SshHostConfig): string {
  if (!shared.dir) {
    shared.dir = mkdtempSync(join(tmpdir(), 'stoa-ssh-')); // mode 0700
    process.once('exit', closeSharedSshConnectionsSync);
  }
  const id = createHash('sha256')
    .update(
      JSON.stringify([
        c.sshBinary ?? 'ssh',
        c.user,
        c.host,
        c.port ?? 22,
        c.identityFile,
        c.knownHostsFile ?? '',
        c.strictHostKeyChecking ?? 'yes',
      ]),
    )
    .digest('hex')
    .slice(0, 16); // short: a socket path must fit in 104 bytes
  const path = join(shared.dir, id);
  shared.sockets.set(path, { ssh: c.sshBinary ?? 'ssh', user: c.user, host: c.host, port: c.port ?? 22 });
  return path;
}

/**
 * Closes this process's shared SSH connections now, all of them or those to one `host:port`
 * (each master exits and removes its socket). Runs by itself when the process exits.
 */
export function closeSharedSshConnectionsSync(to?: { host: string; port: number }): void {
  for (const [socket, c] of shared.sockets) {
    if (to && (to.host !== c.host || to.port !== c.port)) continue;
    // `-O exit` asks the master over its socket; nothing to do when it already left (idle).
    spawnSync(c.ssh, ['-S', socket, '-O', 'exit', `${c.user}@${c.host}`], {
      stdio: 'ignore',
      timeout: 5_000,
    });
    shared.sockets.delete(socket);
  }
  if (!to && shared.dir) {
    rmSync(shared.dir, { recursive: true, force: true });
    shared.dir = undefined;
  }
}

/** Runs commands through the OpenSSH client binary (`ssh`), with batch mode on (no prompts). */
export class SshHost implements ProcessHost {
  readonly label: string;
  readonly endpointHost: string;
  constructor(readonly config: SshHostConfig) {
    this.label = `ssh ${config.user}@${config.host}:${config.port ?? 22}`;
    this.endpointHost = config.endpointHost ?? config.host;
  }

  private args(remoteCommand: string): string[] {
    const c = this.config;
    const a = [
      '-p',
      String(c.port ?? 22),
      '-i',
      c.identityFile,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `ConnectTimeout=${c.connectTimeoutS ?? 10}`,
      '-o',
      `StrictHostKeyChecking=${c.strictHostKeyChecking ?? 'yes'}`,
      '-o',
      'LogLevel=ERROR',
    ];
    if (c.knownHostsFile) a.push('-o', `UserKnownHostsFile=${c.knownHostsFile}`);
    const persist = c.connectionPersistS ?? 60;
    if (persist > 0) {
      // The first command opens the connection and leaves it in the background; the next ones
      // (and concurrent ones, once it is up) run as channels on it.
      a.push('-o', 'ControlMaster=auto', '-o', `ControlPath=${controlSocket(c)}`);
      a.push('-o', `ControlPersist=${persist}`);
    }
    a.push(`${c.user}@${c.host}`, remoteCommand);
    return a;
  }

  async exec(script: string, opts: { timeoutMs?: number } = {}) {
    const r = await run(
      this.config.sshBinary ?? 'ssh',
      this.args('sh -s'),
      script,
      opts.timeoutMs ?? 30_000,
      this.label,
    );
    if (r.code === 255) {
      // ssh itself failed: classify auth problems as the user's, the rest as transient.
      if (/Permission denied|Host key verification failed|no such identity|invalid format/i.test(r.stderr)) {
        throw new UserError('bad-credentials', `${this.label}: ${r.stderr.trim()}`, {
          hint: 'check the SSH user, identity file and known_hosts',
        });
      }
      throw new TransientError('network', `${this.label}: ${r.stderr.trim() || 'ssh failed'}`);
    }
    return r;
  }

  stream(script: string) {
    return spawn(this.config.sshBinary ?? 'ssh', this.args(script), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: hostEnvironment(),
    });
  }
}
