// The extension's install scripts (plib/scripts/*.php) and its root helper
// (sbin/sendtrace-service) against a temporary root laid out as Plesk lays out
// an installed extension (reference/plesk.md §4.6/§5.1), from the built zip.
// There is no systemd here: one root has none (the helper must say so and
// still write the unit), another has a recording stand-in for systemctl and
// /run/systemd/system (so the calls it makes can be checked).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { packageMeta } from '../../build/package.mjs';
import { parseConfig } from '../../service/config.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { PHP_DIR, runPhp, writeStandin, type PhpResult } from './php.ts';
import { readZip } from './zip-reader.ts';

const execFileP = promisify(execFile);
const meta = packageMeta(repoRoot);
const ZIP = join(repoRoot, 'dist', `sendtrace-${meta.version}-${meta.release}.zip`);
const GID = 4321;   // psaadm in the temporary root's /etc/group
const PRODUCT = '/usr/local/psa';
const PLIB = `${PRODUCT}/admin/plib/modules/sendtrace`;
const SBIN = `${PRODUCT}/admin/sbin/modules/sendtrace`;
const STATE = `${PRODUCT}/var/modules/sendtrace`;
const UNIT = '/etc/systemd/system/plesk-ext-sendtrace.service';

type Root = { root: string; run(script: 'pre-install' | 'post-install' | 'pre-uninstall', ...args: string[]): Promise<PhpResult>; helper(...args: string[]): Promise<PhpResult>; systemctl(): string[]; file(p: string): string };

/** A fake Node.js that only knows its version (the helper and the scripts only ask that). */
function fakeNode(root: string, major: number, version: string, mode = 0o755): void {
  const p = join(root, `opt/plesk/node/${major}/bin/node`);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, `#!/bin/sh\necho ${version}\n`, { mode });
  chmodSync(p, mode);
}

function makeRoot(t: TestContext, o: { systemd: boolean; node?: boolean }): Root {
  // /tmp (sticky) → mkdtemp (root, 0700): a chain of folders only root can change, as on a server.
  const root = mkdtempSync(join('/tmp', 'st-life-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const f of readZip(readFileSync(ZIP))) {
    let dest: string | null = null;
    if (f.name.startsWith('plib/') || f.name === 'meta.xml') dest = join(root, PLIB, f.name.replace(/^plib\//, ''));
    else if (f.name.startsWith('htdocs/')) dest = join(root, PRODUCT, 'admin/htdocs/modules/sendtrace', f.name.slice('htdocs/'.length));
    else if (f.name.startsWith('sbin/')) dest = join(root, SBIN, f.name.slice('sbin/'.length));
    if (!dest) continue;
    mkdirSync(dirname(dest), { recursive: true });
    let data = f.data;
    if (f.name === 'sbin/sendtrace-service') {
      // The one line tests change: the helper's root (DESTDIR semantics).
      const text = data.toString('utf8');
      assert.equal(text.split('\n').filter((l) => l === "PREFIX=''").length, 1, "the helper has exactly one PREFIX='' line");
      data = Buffer.from(text.replace("\nPREFIX=''\n", `\nPREFIX='${root}'\n`));
    }
    writeFileSync(dest, data, { mode: f.mode & 0o777 });
  }
  // Plesk makes the extension's var/ folder, owned by the panel's user [I]; the helper must take it over.
  mkdirSync(join(root, STATE), { recursive: true });
  chownSync(join(root, STATE), 1000, GID);
  chmodSync(join(root, STATE), 0o755);
  mkdirSync(join(root, 'etc/psa'), { recursive: true });
  writeFileSync(join(root, 'etc/group'), `root:x:0:\npsaadm:x:${GID}:\npsacln:x:4322:\n`);
  writeFileSync(join(root, 'etc/psa/psa.conf'), '# Plesk\nHTTPD_VHOSTS_D /var/www/vhosts\nPRODUCT_ROOT_D /usr/local/psa\n');
  if (o.node !== false) {
    mkdirSync(join(root, 'opt/plesk/node/20/bin'), { recursive: true });
    symlinkSync(process.execPath, join(root, 'opt/plesk/node/20/bin/node'));
  }
  if (o.systemd) {
    mkdirSync(join(root, 'run/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    // A stand-in for systemctl: records its argv; the unit is "active".
    writeFileSync(join(root, 'usr/bin/systemctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${root}/systemctl.log'\n[ "$1" = is-active ] && echo active\nexit 0\n`, { mode: 0o755 });
  }
  const standin = writeStandin(root, { session: null, sbinDir: join(root, SBIN), plib: join(root, PLIB) }, '.standin.json');
  return {
    root,
    run: (script, ...args) => runPhp(join(root, PLIB, 'scripts', `${script}.php`), args, { standin, root }),
    helper: (...args) => new Promise((ok) => execFile(join(root, SBIN, 'sendtrace-service'), args, (err, stdout, stderr) =>
      ok({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))),
    systemctl: () => existsSync(join(root, 'systemctl.log')) ? readFileSync(join(root, 'systemctl.log'), 'utf8').trim().split('\n') : [],
    file: (p) => readFileSync(join(root, p), 'utf8'),
  };
}

/** The unit as key → values (keys may repeat). */
function parseUnit(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (kv) m.set(kv[1]!, [...(m.get(kv[1]!) ?? []), kv[2]!]);
  }
  return m;
}

const out = (r: PhpResult) => `${r.stdout}${r.stderr}`;

describe('installing, upgrading and removing the extension', () => {
  it('writes the unit, config, secret and state folder, and says that systemd is not running rather than failing silently', async (t) => {
    const r = makeRoot(t, { systemd: false });
    const res = await r.run('post-install');
    assert.equal(res.code, 1, out(res));
    assert.match(out(res), /systemd is not running on this machine: \/etc\/systemd\/system\/plesk-ext-sendtrace\.service is written but the sidecar was not started/);
    assert.deepEqual(r.systemctl(), []);

    const unit = parseUnit(r.file(UNIT));
    assert.deepEqual(unit.get('ExecStart'), [`/opt/plesk/node/20/bin/node ${PLIB}/sidecar/sendtrace.mjs serve --config /etc/sendtrace/config.json`]);
    for (const [key, value] of [['User', 'root'], ['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes'], ['Restart', 'on-failure'], ['RuntimeDirectory', 'sendtrace'], ['WantedBy', 'multi-user.target']]) {
      assert.deepEqual(unit.get(key!), [value], key);
    }
    const rw = unit.get('ReadWritePaths')!;
    for (const p of [STATE, '/var/www/vhosts', '-/var/spool/postfix']) assert.ok(rw.includes(p), `ReadWritePaths has ${p}`);
    assert.ok(!rw.some((p) => p.startsWith(r.root)), 'the unit names the real paths, not the test root');

    // Another implementation reads the unit without a warning (ExecStart pointed at a Node that exists here).
    const copy = join(r.root, 'verify/plesk-ext-sendtrace.service');
    mkdirSync(dirname(copy), { recursive: true });
    writeFileSync(copy, r.file(UNIT).replace('/opt/plesk/node/20/bin/node', process.execPath));
    if (existsSync('/usr/bin/systemd-analyze')) {
      const verify = await execFileP('systemd-analyze', ['verify', copy]).catch((e: { stdout: string; stderr: string }) => e);
      assert.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'systemd-analyze verify has nothing to say');
    } else {
      t.diagnostic('systemd-analyze is not installed: the unit was not cross-checked by systemd');
    }

    // The config is one the sidecar accepts (unknown keys would be refused), naming the real paths.
    const config = parseConfig(JSON.parse(r.file('/etc/sendtrace/config.json')), 'installed config', '/etc/sendtrace');
    assert.deepEqual([config.stateDir, config.vhostsRoot, config.socketPath, config.socketGroup, config.secretFile],
      [STATE, '/var/www/vhosts', '/run/sendtrace/sendtrace.sock', 'psaadm', '/etc/sendtrace/api-secret']);

    // The secret: 64 hex digits, root:psaadm 0640, in a root:psaadm 0750 folder (docs/signature.md).
    assert.match(r.file('/etc/sendtrace/api-secret'), /^[0-9a-f]{64}\n$/);
    const secret = statSync(join(r.root, 'etc/sendtrace/api-secret'));
    assert.deepEqual([secret.uid, secret.gid, secret.mode & 0o777], [0, GID, 0o640]);
    const etc = statSync(join(r.root, 'etc/sendtrace'));
    assert.deepEqual([etc.uid, etc.gid, etc.mode & 0o777], [0, GID, 0o750]);
    // The state folder is root's and private now (the sidecar refuses anything else).
    const state = statSync(join(r.root, STATE));
    assert.deepEqual([state.uid, state.mode & 0o777], [0, 0o700]);
  });

  it('installs, enables and starts the service; an upgrade restarts it and keeps every piece of state', async (t) => {
    const r = makeRoot(t, { systemd: true });
    const pre = await r.run('pre-install');
    assert.equal(pre.code, 0, out(pre));
    assert.match(pre.stdout, /will run its service with \/opt\/plesk\/node\/20\/bin\/node \(v\d+\.\d+\.\d+\)/);
    const first = await r.run('post-install');
    assert.equal(first.code, 0, out(first));
    assert.match(first.stdout, /installed; the service runs/);
    assert.deepEqual(r.systemctl(), ['daemon-reload', 'enable plesk-ext-sendtrace.service', 'restart plesk-ext-sendtrace.service']);

    // What the sidecar and the admin made since: an audit log, a quarantined file, a changed config.
    const files: Record<string, string> = {
      [`${STATE}/audit.log`]: '{"action":"quarantine","dryRun":false}\n',
      [`${STATE}/quarantine/q-20220203-221500-1a2b3c4d/manifest.json`]: '{"id":"q-20220203-221500-1a2b3c4d"}\n',
      [`${STATE}/quarantine/q-20220203-221500-1a2b3c4d/file`]: '<?php mail($_POST["to"], "hi", "spam");\n',
      [`${STATE}/settings/1.json`]: '{"thresholds":{}}\n',
    };
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(r.root, p)), { recursive: true });
      writeFileSync(join(r.root, p), text);
    }
    const config = { ...JSON.parse(r.file('/etc/sendtrace/config.json')), timezone: 'Asia/Tokyo', phpMailLog: ['/var/log/php-mail.log'] };
    writeFileSync(join(r.root, 'etc/sendtrace/config.json'), JSON.stringify(config));
    const secret = r.file('/etc/sendtrace/api-secret');

    const up = await r.run('post-install', 'upgrade', '0.0.9');
    assert.equal(up.code, 0, out(up));
    assert.match(up.stdout, /upgraded from 0\.0\.9; the service was restarted/);
    assert.deepEqual(r.systemctl().slice(3), ['daemon-reload', 'enable plesk-ext-sendtrace.service', 'restart plesk-ext-sendtrace.service']);
    for (const [p, text] of Object.entries(files)) assert.equal(r.file(p), text, `${p} is kept`);
    assert.deepEqual(JSON.parse(r.file('/etc/sendtrace/config.json')), config, 'the admin\'s config is kept');
    assert.equal(r.file('/etc/sendtrace/api-secret'), secret, 'the secret is kept (open pages keep working)');

    // Services Management sees it through the hook.
    const hooks = await runPhp(join(PHP_DIR, 'hooks.php'), ['--services'], { standin: writeStandin(r.root, { session: null, sbinDir: join(r.root, SBIN), plib: join(r.root, PLIB) }, '.hooks.json'), root: r.root });
    assert.equal(hooks.code, 0, hooks.stderr);
    const services = (JSON.parse(hooks.stdout) as { services: Array<Record<string, unknown>> }).services;
    assert.deepEqual(services.map((s) => [s.id, s.installed, s.running, s.configured]), [['sendtrace', true, true, true]]);

    // The admin's Service tab: what runs, where its files are (no sidecar answers in this root).
    const tab = await runPhp(join(PHP_DIR, 'server-status.php'), [], { standin: writeStandin(r.root, { session: null, sbinDir: join(r.root, SBIN), plib: join(r.root, PLIB) }, '.tab.json'), root: r.root });
    assert.equal(tab.code, 0, tab.stderr);
    const rows = Object.fromEntries(JSON.parse(tab.stdout) as Array<[string, string]>);
    assert.deepEqual([rows.statusUnit, rows.statusInstalled, rows.statusActive, rows.statusHealth], ['plesk-ext-sendtrace.service', 'yes', 'active', 'statusNoAnswer']);
    assert.deepEqual([rows.statusState, rows.statusAudit, rows.statusVersion], [STATE, `${STATE}/audit.log`, `${meta.version}-${meta.release}`]);
  });

  it('on removal stops the service and removes its unit and secret, keeps quarantine and audit log aside, and a reinstall brings them back', async (t) => {
    const r = makeRoot(t, { systemd: true });
    assert.equal((await r.run('post-install')).code, 0);
    const audit = '{"action":"quarantine"}\n';
    const held = '<?php /* the script */\n';
    mkdirSync(join(r.root, STATE, 'quarantine/q-1'), { recursive: true });
    mkdirSync(join(r.root, STATE, 'locks'), { recursive: true });
    writeFileSync(join(r.root, STATE, 'audit.log'), audit);
    writeFileSync(join(r.root, STATE, 'quarantine/q-1/file'), held);
    writeFileSync(join(r.root, STATE, 'locks/file-1-2.lock'), '123');

    const rm = await r.run('pre-uninstall');
    assert.equal(rm.code, 0, out(rm));
    assert.ok(r.systemctl().includes('disable --now plesk-ext-sendtrace.service'));
    assert.equal(r.systemctl().at(-1), 'daemon-reload');
    assert.ok(!existsSync(join(r.root, UNIT)), 'the unit is gone');
    assert.ok(!existsSync(join(r.root, 'etc/sendtrace')), 'the secret and its folder are gone');
    const kept = /kept: (\/var\/lib\/sendtrace-kept\/\d{8}T\d{6}Z) \(quarantined files in \S+\/state\/quarantine, audit log \S+\/state\/audit\.log\)/.exec(rm.stdout);
    assert.ok(kept, `it says where the state went:\n${rm.stdout}`);
    assert.equal(r.file(`${kept[1]}/state/audit.log`), audit);
    assert.equal(r.file(`${kept[1]}/state/quarantine/q-1/file`), held);
    assert.ok(existsSync(join(r.root, kept[1]!, 'config.json')));
    assert.ok(!existsSync(join(r.root, kept[1]!, 'state/locks')), 'stale locks are not kept');
    assert.equal(statSync(join(r.root, kept[1]!)).mode & 0o777, 0o700);
    // Plesk now removes the extension's files [V], perhaps its var/ folder too [I]: nothing kept is in them.
    rmSync(join(r.root, PRODUCT, 'var/modules/sendtrace'), { recursive: true, force: true });

    const again = await r.run('post-install');
    assert.equal(again.code, 0, out(again));
    assert.match(again.stdout, /restored what the last uninstall kept/);
    assert.equal(r.file(`${STATE}/audit.log`), audit);
    assert.equal(r.file(`${STATE}/quarantine/q-1/file`), held);
    assert.ok(existsSync(join(r.root, 'etc/sendtrace/config.json')));
    assert.ok(!existsSync(join(r.root, 'var/lib/sendtrace-kept')), 'nothing is left aside once restored');
  });

  it('refuses to install without Node.js 20+, saying how to get Plesk\'s Node.js toolkit, and writes nothing', async (t) => {
    const r = makeRoot(t, { systemd: true, node: false });
    fakeNode(r.root, 18, 'v18.19.0');
    for (const script of ['pre-install', 'post-install'] as const) {
      const res = await r.run(script);
      assert.equal(res.code, 1, script);
      assert.match(res.stdout, /needs Node\.js 20 or later/);
      assert.match(res.stdout, /Found, but too old: \/opt\/plesk\/node\/18\/bin\/node \(v18\.19\.0\)/);
      assert.match(res.stdout, /plesk installer --select-release-current --install-component nodejs/);
    }
    assert.ok(!existsSync(join(r.root, UNIT)));
    assert.ok(!existsSync(join(r.root, 'etc/sendtrace')));
    assert.deepEqual(r.systemctl(), []);
  });

  it('prefers the newest Node.js of Plesk\'s toolkit', async (t) => {
    const r = makeRoot(t, { systemd: true });
    fakeNode(r.root, 22, 'v22.1.0');
    const res = await r.run('post-install');
    assert.equal(res.code, 0, out(res));
    assert.match(parseUnit(r.file(UNIT)).get('ExecStart')![0]!, /^\/opt\/plesk\/node\/22\/bin\/node /);
  });

  it('has a root helper that takes no Node.js but a known, root-owned one, and no command it does not know', async (t) => {
    const r = makeRoot(t, { systemd: true });
    fakeNode(r.root, 18, 'v18.19.0');
    fakeNode(r.root, 22, 'v22.1.0', 0o775);   // the panel's group could replace it
    const cases: Array<[string[], number, RegExp]> = [
      [['install', '/tmp/evil/node'], 3, /must be Plesk's .* or the system's/],
      [['install', '/opt/plesk/node/../../../tmp/node'], 5, /unusual characters/],
      [['install', '/opt/plesk/node/18/bin/node'], 3, /needs 20 or later/],
      [['install', '/opt/plesk/node/22/bin/node'], 5, /can be changed by users other than root/],
      [['install', '/opt/plesk/node/20/bin/node', '--now'], 2, /usage/],
      [['install'], 2, /usage/],
      [['rm', '-rf', '/'], 2, /unknown command/],
      [[], 2, /usage/],
    ];
    for (const [args, code, message] of cases) {
      const res = await r.helper(...args);
      assert.equal(res.code, code, `${args.join(' ')}: ${out(res)}`);
      assert.match(res.stderr, message);
    }
    assert.ok(!existsSync(join(r.root, UNIT)), 'no refused call wrote a unit');
    assert.ok(!existsSync(join(r.root, 'etc/sendtrace')));
    assert.deepEqual(r.systemctl(), []);
    const status = await r.helper('status');
    assert.equal(status.stdout.trim(), 'installed=no active=active systemd=yes');
  });

  it('never follows a symbolic link planted as its state folder, installing or removing', async (t) => {
    const r = makeRoot(t, { systemd: true });
    // The panel's user may be able to change Plesk's var/modules/ [I]: it points the folder at something of root's.
    const victim = join(r.root, 'victim');
    mkdirSync(join(victim, 'locks'), { recursive: true });
    chmodSync(victim, 0o755);
    writeFileSync(join(victim, 'locks/keep-me'), 'root\'s file');
    rmSync(join(r.root, STATE), { recursive: true });
    symlinkSync(victim, join(r.root, STATE));

    const res = await r.run('post-install');
    assert.equal(res.code, 1, out(res));
    assert.match(out(res), /is not a folder \(a symbolic link\?\); not touching it/);
    assert.equal(statSync(victim).mode & 0o777, 0o755, 'the link\'s target was not chmod-ed');
    assert.equal(statSync(victim).uid, 0);

    const rm = await r.run('pre-uninstall');
    assert.equal(rm.code, 0, out(rm));
    assert.match(rm.stdout, /is a symbolic link, not sendtrace's folder; left alone/);
    assert.equal(readFileSync(join(victim, 'locks/keep-me'), 'utf8'), 'root\'s file', 'nothing behind the link was moved or deleted');
  });

  it('says so when asked to start or stop where systemd is not running', async (t) => {
    const r = makeRoot(t, { systemd: false });
    const res = await r.helper('restart');
    assert.equal(res.code, 4);
    assert.match(res.stderr, /systemd is not running on this machine: cannot restart plesk-ext-sendtrace\.service/);
    assert.equal((await r.helper('status')).stdout.trim(), 'installed=no active=unknown systemd=no');
    assert.deepEqual(readdirSync(join(r.root, 'etc')).sort(), ['group', 'psa']);
  });
});
