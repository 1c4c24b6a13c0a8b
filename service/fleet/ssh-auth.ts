// Who we are to a host: its inventory key file, the ssh-agent, or the usual
// ~/.ssh/id_* files. Never a password, never a passphrase prompt: a
// passphrase-protected key belongs in ssh-agent.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2, { type AnyAuthMethod } from 'ssh2';
import { describeError, isErrno } from '../errors.ts';
import { HostFailure } from './host-failure.ts';

export type KeyCache = Map<string, Promise<Buffer | null>>;

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** Reads a key once per run (50 hosts, one key file); null when it does not exist. */
function readKey(cache: KeyCache, path: string): Promise<Buffer | null> {
  let p = cache.get(path);
  if (!p) {
    p = readFile(path).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return null;
      throw new HostFailure('auth', `cannot read key file ${path}: ${describeError(err)}`);
    });
    cache.set(path, p);
  }
  return p;
}

function usableKey(data: Buffer, path: string, haveAgent: boolean): Buffer | null {
  const parsed = ssh2.utils.parseKey(data);
  if (!(parsed instanceof Error)) return data;
  if (/encrypted/i.test(parsed.message)) {
    if (haveAgent) return null; // the agent may hold it
    throw new HostFailure('auth', `key ${path} is passphrase-protected: add it to ssh-agent (sendtrace never asks for passphrases)`);
  }
  throw new HostFailure('auth', `key ${path} cannot be read as a private key: ${parsed.message}`);
}

export type AuthPlan = { methods: AnyAuthMethod[]; described: string };

export async function planAuth(user: string, keyFile: string | null, env: Record<string, string | undefined>, cache: KeyCache): Promise<AuthPlan> {
  const agent = env.SSH_AUTH_SOCK || null;
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  if (keyFile) {
    const data = await readKey(cache, keyFile);
    if (!data) throw new HostFailure('auth', `key file ${keyFile} does not exist`);
    const key = usableKey(data, keyFile, agent !== null);
    if (key) methods.push({ type: 'publickey', username: user, key });
    tried.push(keyFile);
  }
  if (agent) {
    methods.push({ type: 'agent', username: user, agent });
    tried.push('ssh-agent');
  }
  if (!keyFile && env.HOME) {
    for (const name of DEFAULT_KEYS) {
      const path = join(env.HOME, '.ssh', name);
      const data = await readKey(cache, path);
      const key = data && usableKey(data, path, true);
      if (key) {
        methods.push({ type: 'publickey', username: user, key });
        tried.push(path);
      }
    }
  }
  if (!methods.length) throw new HostFailure('auth', 'no identity to offer: set ansible_ssh_private_key_file or start ssh-agent');
  return { methods, described: tried.join(', ') };
}
