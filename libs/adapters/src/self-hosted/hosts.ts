import { type ChildProcess, spawn } from 'node:child_process';
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
