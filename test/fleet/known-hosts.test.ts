// known_hosts as OpenSSH writes and reads it: entries hashed by the real
// ssh-keygen -H are matched; what --accept-new appends is found by ssh-keygen -F.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkHostKey, fingerprint, keyTypeOf, knownKeyTypes, loadKnownHosts, rememberHostKey } from '../../service/fleet/known-hosts.ts';
import { makeKeyPair, type KeyPair } from './sshd.ts';

const run = promisify(execFile);
const blob = (k: KeyPair) => Buffer.from(k.base64, 'base64');

describe('known_hosts', () => {
  let dir: string;
  let a: KeyPair;
  let b: KeyPair;
  let rsa: KeyPair;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-kh-'));
    [a, b, rsa] = await Promise.all([makeKeyPair(dir, 'a'), makeKeyPair(dir, 'b'), makeKeyPair(dir, 'rsa', 'rsa')]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('matches entries hashed by ssh-keygen -H, on port 22 and on other ports', async () => {
    const path = join(dir, 'hashed');
    await writeFile(path, `web1.example ${a.type} ${a.base64}\n[127.0.0.1]:2222 ${b.type} ${b.base64}\n`);
    await run('ssh-keygen', ['-H', '-f', path]);
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes('web1.example') && text.includes('|1|'), 'ssh-keygen hashed the names');
    const kh = await loadKnownHosts(path);
    assert.deepEqual(checkHostKey(kh, 'web1.example', 22, blob(a)), { status: 'known' });
    assert.deepEqual(checkHostKey(kh, '127.0.0.1', 2222, blob(b)), { status: 'known' });
    assert.deepEqual(checkHostKey(kh, '127.0.0.1', 2223, blob(b)), { status: 'unknown' });
  });

  it('calls a different key for a known host "changed", naming the key on record', async () => {
    const path = join(dir, 'plain');
    await writeFile(path, `# comment\n[127.0.0.1]:2222,web2 ${a.type} ${a.base64} old\n`);
    const kh = await loadKnownHosts(path);
    const v = checkHostKey(kh, 'web2', 22, blob(b));
    assert.equal(v.status, 'changed');
    assert.match(v.status === 'changed' ? v.expected[0]! : '', new RegExp(`ssh-ed25519 ${fingerprint(blob(a)).replace(/[+/]/g, '\\$&')} \\(line 2\\)`));
  });

  it('fingerprints keys exactly as ssh-keygen -l does', async () => {
    const { stdout } = await run('ssh-keygen', ['-l', '-f', `${a.privatePath}.pub`]);
    assert.equal(fingerprint(blob(a)), stdout.split(' ')[1]);
    assert.equal(keyTypeOf(blob(rsa)), 'ssh-rsa');
  });

  it('honours wildcards, negations and @revoked', async () => {
    const path = join(dir, 'patterns');
    await writeFile(path, `*.tokyo.example,!bad.tokyo.example ${a.type} ${a.base64}\n@revoked * ${b.type} ${b.base64}\n@cert-authority *.example ${rsa.type} ${rsa.base64}\n`);
    const kh = await loadKnownHosts(path);
    assert.equal(checkHostKey(kh, 'web1.tokyo.example', 22, blob(a)).status, 'known');
    assert.equal(checkHostKey(kh, 'bad.tokyo.example', 22, blob(a)).status, 'unknown');
    assert.equal(checkHostKey(kh, 'anything', 22, blob(b)).status, 'revoked');
    // A CA line is not a host key: it neither vouches for nor contradicts a host.
    assert.equal(checkHostKey(kh, 'osaka.example', 22, blob(rsa)).status, 'unknown');
    assert.deepEqual(knownKeyTypes(kh, 'web1.tokyo.example', 22), ['ssh-ed25519']);
  });

  it('appends an accepted key in a form ssh-keygen -F finds, creating the file 0600', async () => {
    const path = join(dir, 'sub', 'known_hosts');
    const kh = await loadKnownHosts(path);
    assert.match(kh.notes[0]!, /does not exist/);
    await Promise.all([rememberHostKey(kh, '127.0.0.1', 2200, blob(a)), rememberHostKey(kh, 'web3.example', 22, blob(b))]);
    const { stdout } = await run('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', path]);
    assert.match(stdout, new RegExp(a.base64.replace(/[+/]/g, '\\$&')));
    assert.equal(checkHostKey(await loadKnownHosts(path), 'web3.example', 22, blob(b)).status, 'known');
    const { stdout: mode } = await run('stat', ['-c', '%a', path]);
    assert.equal(mode.trim(), '600');
  });

  it('skips unreadable lines and says how many', async () => {
    const path = join(dir, 'junk');
    await writeFile(path, `garbage\nweb1 ssh-ed25519 !!notbase64!!\nweb2 ${a.type} ${a.base64}\n`);
    const kh = await loadKnownHosts(path);
    assert.equal(kh.entries.length, 1);
    assert.match(kh.notes[0]!, /2 line\(s\) could not be read/);
  });
});
