// Runs a program with an argv array (never a shell string), bounded in time and
// output. Secrets travel in `env` or `stdin`, never in argv (STYLE.md rule 3).
import { spawn } from 'node:child_process';
import { createError } from '../errors.ts';

export type RunResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export type RunOptions = {
  env?: Record<string, string | undefined>;
  stdin?: string | Buffer;
  timeoutMs?: number;
  maxOutputBytes?: number;
  cwd?: string;
};

export function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw createError('SENDTRACE_ERR_USAGE', 'empty command');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const max = options.maxOutputBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      // Its own process group, so a timeout ends grandchildren too (a `plesk`
      // wrapper's client would otherwise hold the pipes open).
      detached: true,
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch (err) {
        // ESRCH: the group is already gone; anything else is worth knowing.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let overflow = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > max) {
        overflow = true;
        killGroup();
      } else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errBytes < 64 * 1024) err.push(b);
      errBytes += b.length;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(createError('SENDTRACE_ERR_COMMAND', file, (e as NodeJS.ErrnoException).code ?? e.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(createError('SENDTRACE_ERR_COMMAND_TIMEOUT', file, timeoutMs));
      if (overflow) return reject(createError('SENDTRACE_ERR_COMMAND', file, `more than ${max} bytes of output`));
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {
      // The child may exit before reading stdin (EPIPE); its exit status tells the story.
    });
    child.stdin.end(options.stdin ?? '');
  });
}
