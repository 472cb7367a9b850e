import { sq } from './hosts.js';

/** The environment variable that ties a node's process to its deployment (guards against pid reuse). */
export const DEPLOYMENT_MARKER = 'STOA_DEPLOYMENT_ID';

export interface LaunchScript {
  cwd: string;
  command: string[];
  /** The node's environment; it reaches the process through a file only its owner can read. */
  env: Record<string, string>;
  deploymentId: string;
  envFile: string;
  logFile: string;
  pidFile: string;
}

/**
 * The host's shell script that starts a node in its own session and prints its pid.
 *
 * The environment goes in a file only its owner can read, sourced and deleted by the starting
 * shell: it never appears in a process's arguments. The shell that forks the node's subshell is
 * itself started with the deployment marker, so the pid printed carries the marker from the
 * fork on, before the subshell has sourced anything or exec'd the command: `aliveCheck` then
 * never mistakes a node that is still starting for another process that reused its pid.
 */
export function launchScript(l: LaunchScript): string {
  const envLines = Object.entries({ ...l.env, [DEPLOYMENT_MARKER]: l.deploymentId })
    .map(([k, v]) => `${k}=${sq(v)}`)
    .join('\n');
  const start =
    `( set -a; . ${sq(l.envFile)}; set +a; rm -f ${sq(l.envFile)}; exec setsid ${l.command.map(sq).join(' ')} )` +
    ` > ${sq(l.logFile)} 2>&1 < /dev/null & echo $! > ${sq(l.pidFile)}; echo $!`;
  return (
    `cd ${sq(l.cwd)} || exit 1; umask 077; cat > ${sq(l.envFile)} <<'STOA_NODE_ENV'\n${envLines}\nSTOA_NODE_ENV\n` +
    `${DEPLOYMENT_MARKER}=${sq(l.deploymentId)} exec sh -c ${sq(start)}`
  );
}

/**
 * A shell condition that holds while `pid` is alive and is the node of deployment `id`.
 *
 * A process's environment reads empty while it is inside execve (the node's start execs
 * `setsid`, then the command), and when it is not ours to read: such a process counts as alive
 * unless it is a zombie or gone by the time its state is read. A non-empty environment without
 * the marker is another process that reused the pid. On a host without /proc (macOS over SSH),
 * `kill -0` alone decides.
 */
export function aliveCheck(pid: number | string, id: string): string {
  const proc = `/proc/${pid}`;
  const marker = sq(`${DEPLOYMENT_MARKER}=${id}`);
  return (
    `{ kill -0 ${pid} 2>/dev/null && { [ ! -d /proc/self ] || { ` +
    `stoa_env=$(tr '\\0' '\\n' < ${proc}/environ 2>/dev/null); ` +
    `if [ -n "$stoa_env" ]; then printf '%s\\n' "$stoa_env" | grep -qx ${marker}; ` +
    `else stoa_stat=$(cat ${proc}/stat 2>/dev/null) && case "$stoa_stat" in *') Z '*) false ;; esac; fi; }; }; }`
  );
}
