import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../../service/sources/run-command.ts';
import { SendtraceError } from '../../service/errors.ts';

describe('runCommand', () => {
  it('passes argv untouched, without a shell', async () => {
    const r = await runCommand(['printf', '%s|', 'a b', '$(id)', ';rm -rf /']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'a b|$(id)|;rm -rf /|');
  });

  it('hands secrets over in the environment and on stdin, not in argv', async () => {
    const r = await runCommand(['sh', '-c', 'printf "%s/" "$PSA_PASSWORD"; cat'], { env: { PSA_PASSWORD: 's3cret', PATH: process.env.PATH }, stdin: 'from-stdin' });
    assert.equal(r.stdout, 's3cret/from-stdin');
  });

  it('ends a command and its children when it runs out of time', async () => {
    const started = Date.now();
    // The grandchild keeps the pipes open; only killing the group ends the wait.
    await assert.rejects(runCommand(['sh', '-c', 'sleep 30 & sleep 30'], { timeoutMs: 300 }), (e: unknown) => e instanceof SendtraceError && e.code === 'SENDTRACE_ERR_COMMAND_TIMEOUT');
    assert.ok(Date.now() - started < 5000);
  });

  it('reports a missing program as a coded error', async () => {
    await assert.rejects(runCommand(['/nonexistent/plesk', 'db']), (e: unknown) => e instanceof SendtraceError && e.code === 'SENDTRACE_ERR_COMMAND' && /ENOENT/.test(e.message));
  });

  it('returns the exit status and stderr of a failing command', async () => {
    const r = await runCommand(['sh', '-c', 'echo oops >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stderr, 'oops\n');
  });
});
