import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { closeSharedSshConnectionsSync } from '../self-hosted/hosts.js';

export interface TestSshd {
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

/** Install OpenSSH (server and client) through apt when it is missing: CI machines start bare. */
export function ensureOpenSsh(): void {
  if (existsSync(SSHD) && existsSync('/usr/bin/ssh') && existsSync('/usr/bin/ssh-keygen')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', 'openssh-server', 'openssh-client'], { stdio: 'inherit', env });
}

/** A port free on 127.0.0.1 now (another process may take it before it is bound). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}

/** A real OpenSSH server on 127.0.0.1 and a free port, with a fresh host key and one authorized key. */
export async function startTestSshd(): Promise<TestSshd> {
  ensureOpenSsh();
  const dir = await mkdtemp(join(tmpdir(), 'stoa-sshd-'));
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'id_ed25519'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'id_ed25519.pub')), { mode: 0o600 });
  const port = await freePort();
  const hostPub = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  await writeFile(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'PrintMotd no',
      'LogLevel ERROR',
      // Bash runs ~/.bashrc for a command sent over SSH only as the first shell level: this
      // machine's root .bashrc runs `pyenv init` (~1.4 s of CPU per remote command, which was
      // most of the SSH tests' CPU). A session of this server starts one level deeper, so the
      // commands run without the machine's interactive setup.
      'SetEnv SHLVL=1',
    ].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true }); // privilege-separation directory
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  await waitPort(port, child, () => stderr);
  return {
    port,
    user: userInfo().username,
    identityFile: join(dir, 'id_ed25519'),
    knownHostsFile: join(dir, 'known_hosts'),
    async stop() {
      // The adapter's shared connections to this server end with it (not after their idle time).
      closeSharedSshConnectionsSync({ host: '127.0.0.1', port });
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
