import { spawn } from 'node:child_process';

/**
 * Runs a command to completion; its output is kept and shown only when it fails, in an error
 * that names the step. `quiet` commands still stream nothing: the build prints its own progress.
 */
export function runCommand(
  step: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', (error) => reject(new Error(`${step}: cannot run ${command}: ${error.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${step}: ${command} exited ${code ?? signal}:\n${output.slice(-4000)}`));
    });
  });
}
