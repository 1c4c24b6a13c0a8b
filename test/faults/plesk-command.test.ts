// Faults of the `plesk` command (issue 10, Faults): exiting non-zero and
// hanging. A stand-in `plesk` script in a temp folder; readPanel is what
// diagnose calls (diagnose turns its SENDTRACE_ERR_PANEL_DB into a warning and
// exit 1, partial: test/commands/diagnose-bad-input.test.ts). A hang must end
// at the timeout — grandchildren holding the pipes included — with an error
// naming `plesk` and the timeout, not hang diagnose.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPanel } from '../../service/sources/panel-db.ts';
import { SendtraceError } from '../../service/errors.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-faults-plesk-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stub(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

const range = { since: Date.parse('2022-01-01T00:00:00Z'), until: Date.parse('2022-02-03T12:30:00Z') };

describe('faults: plesk', () => {
  it('exiting non-zero: a panel-db error naming the query and the client\'s own message', async () => {
    const plesk = await stub('plesk-fails', 'echo "ERROR 2002 (HY000): Can\'t connect to local MySQL server through socket \'/run/mysqld/mysqld.sock\' (2)" >&2; exit 1');
    await assert.rejects(readPanel({ plesk, timezone: 'UTC' }, { ...range, timeoutMs: 10_000 }), (err: unknown) => {
      assert.ok(err instanceof SendtraceError);
      assert.equal(err.code, 'SENDTRACE_ERR_PANEL_DB');
      assert.match(err.message, /owners and 12 more.*ERROR 2002 .*Can't connect/);
      return true;
    });
  });

  it('killed by a signal without a word: says so', async () => {
    const plesk = await stub('plesk-killed', 'kill -9 $$');
    await assert.rejects(readPanel({ plesk, timezone: 'UTC' }, { ...range, timeoutMs: 10_000 }), /SIGKILL/);
  });

  it('hanging (and its child holding the pipes): ends at the timeout with an error naming plesk and the time, and kills them', async () => {
    const marker = join(dir, 'grandchild-alive');
    // The grandchild would touch the marker after 3 s if it survived the timeout.
    const plesk = await stub('plesk-hangs', `(sleep 3; touch '${marker}') &\nsleep 600`);
    const t0 = Date.now();
    await assert.rejects(readPanel({ plesk, timezone: 'UTC' }, { ...range, timeoutMs: 800 }), (err: unknown) => {
      assert.ok(err instanceof SendtraceError);
      assert.equal(err.code, 'SENDTRACE_ERR_PANEL_DB');
      assert.ok(err.message.includes(plesk), err.message);
      assert.match(err.message, /800 ms|timed out|time/i);
      return true;
    });
    const took = Date.now() - t0;
    assert.ok(took >= 700 && took < 5000, `took ${took} ms`);
    await new Promise((r) => setTimeout(r, 3500));   // past the grandchild's 3 s: it must be gone
    assert.equal(existsSync(marker), false, 'the grandchild outlived the timeout');
  });
});
