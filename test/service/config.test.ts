import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../service/config.ts';
import { SendtraceError } from '../../service/errors.ts';

function withFile(text: string, fn: (path: string, dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'st-config-'));
  try {
    const p = join(dir, 'c.json');
    writeFileSync(p, text);
    fn(p, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('loadConfig', () => {
  it("uses Plesk's defaults without a file", () => {
    const c = loadConfig(undefined, { TZ: 'Asia/Tokyo' });
    assert.equal(c.plesk, 'plesk');
    assert.equal(c.vhostsRoot, '/var/www/vhosts');
    assert.equal(c.quarantineDir, '/usr/local/psa/var/modules/sendtrace/quarantine');
    assert.equal(c.timezone, 'Asia/Tokyo');
    assert.ok(c.maillog.includes('/var/log/mail.log*'));
  });

  it('resolves relative paths against the config file and keeps a bare plesk command name', () => {
    withFile(JSON.stringify({ maillog: 'logs/mail.log*', plesk: 'plesk', stateDir: 'state' }), (p, dir) => {
      const c = loadConfig(p, {});
      assert.deepEqual(c.maillog, [join(dir, 'logs/mail.log*')]);
      assert.equal(c.plesk, 'plesk');
      assert.equal(c.quarantineDir, join(dir, 'state', 'quarantine'));
    });
  });

  it('refuses an unknown key with exit code 2 and names it', () => {
    withFile(JSON.stringify({ maillogs: ['/x'] }), (p) => {
      assert.throws(() => loadConfig(p, {}), (e: unknown) => e instanceof SendtraceError && e.exit === 2 && /maillogs/.test(e.message) && /unknown key/.test(e.message));
    });
  });

  it('refuses a wrong type and an unknown time zone, naming the field', () => {
    withFile(JSON.stringify({ vhostsRoot: 5 }), (p) => {
      assert.throws(() => loadConfig(p, {}), (e: unknown) => e instanceof SendtraceError && e.exit === 2 && /'vhostsRoot'/.test(e.message));
    });
    withFile(JSON.stringify({ timezone: 'Mars/Olympus' }), (p) => {
      assert.throws(() => loadConfig(p, {}), (e: unknown) => e instanceof SendtraceError && /'timezone'/.test(e.message));
    });
  });

  it('refuses invalid JSON and a missing file with exit code 2', () => {
    withFile('{ "plesk": ', (p) => {
      assert.throws(() => loadConfig(p, {}), (e: unknown) => e instanceof SendtraceError && e.exit === 2 && /not valid JSON/.test(e.message));
    });
    assert.throws(() => loadConfig('/nonexistent/sendtrace.json', {}), (e: unknown) => e instanceof SendtraceError && e.exit === 2 && /ENOENT/.test(e.message));
  });
});
