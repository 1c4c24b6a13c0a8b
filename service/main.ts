// Entry of dist/sendtrace.mjs: the CLI (and, later, the sidecar's `serve`).
import { runCli } from './cli.ts';

const code = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
}).catch((err: unknown) => {
  // A bug, not an input problem: say so plainly, keep the stack for a report.
  process.stderr.write(`sendtrace: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  return 70;
});
process.exitCode = code;
