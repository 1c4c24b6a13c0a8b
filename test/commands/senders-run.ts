// Runs `sendtrace senders --json` in-process (runCli with captured output)
// against a temp config: UTC, a small passwd file.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../service/cli.ts';

export type Row = { kind: string; id: string; login?: string; messages: number; recipients: number; sent: number; deferred: number; bounced: number; rejected: number; limitRejected: number };
export type Report = {
  lines: number; unparsed: number; unparsedExamples: string[]; messages: number; unattributed: number; reinjections: number;
  first: string | null; last: string | null; warnings: string[]; senders: Row[]; files: Array<{ path: string; lines: number; complete: boolean }>;
  totals: { recipients: number; sent: number; deferred: number; bounced: number; rejected: number; limitRejected: number };
  limitRejects: { total: number; handlerRejects: number };
};

export type SendersEnv = { dir: string; config: string; cleanup: () => Promise<void> };

export async function createSendersEnv(): Promise<SendersEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'sendtrace-senders-'));
  await writeFile(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nexample:x:10001:1004::/var/www/vhosts/example.jp:/bin/false\n');
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ timezone: 'UTC', passwdFile: join(dir, 'passwd'), maillog: [join(dir, 'not-used')] }));
  return { dir, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function runSendersCli(env: SendersEnv, args: string[], json = true): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  let out = '';
  let err = '';
  const argv = ['senders', '--config', env.config, ...(json ? ['--json'] : []), ...args];
  const code = await runCli(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
  return { code, report: (json ? JSON.parse(out) : null) as Report, stdout: out, stderr: err };
}

export const maillogArgs = (paths: string[]) => paths.flatMap((p) => ['--maillog', p]);

export function row(r: Report, kind: string, id: string): Row {
  const s = r.senders.find((x) => x.kind === kind && x.id === id);
  assert.ok(s, `sender ${kind}:${id} in ${r.senders.map((x) => `${x.kind}:${x.id}`).join(', ')}`);
  return s;
}

export const outcome = (s: Row) => ({ messages: s.messages, recipients: s.recipients, sent: s.sent, deferred: s.deferred, bounced: s.bounced, rejected: s.rejected });
