// The `senders` document is checked at run time by senders-report-check.ts
// instead of a zod parse (decision 012, last addendum). What keeps that
// equally strong: real documents pass SendersReportSchema (the contract's
// schema) unchanged; the check knows the schema's fields; every mutation the
// schema refuses, the check refuses too. Also here: the top-n selection that
// replaced sort + slice, and the report's cache entry (the document as
// --json prints it), read back the same in either output mode.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { createMailFlow } from '../../service/analysis/mail-flow.ts';
import { TallySenders } from '../../service/analysis/mail-flow-tally.ts';
import { flowRecords } from '../../service/analysis/mail-flow-codec.ts';
import { runCli } from '../../service/cli.ts';
import { checkSendersReport, REPORT_KEYS, ROW_KEYS, TOTALS_KEYS } from '../../service/commands/senders-report-check.ts';
import { buildSendersReport, formatSendersText, SenderRowSchema, SendersReportSchema, topOf, type SendersReport } from '../../service/commands/senders-report.ts';
import { expandMaillog, scanMaillogFiles } from '../../service/sources/maillog-scan.ts';
import { parsePasswd } from '../../service/sources/passwd.ts';
import { generateMaillog } from '../bench/maillog-generator.ts';
import { cachedWorld } from '../fixtures/expand/world.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const REAL = resolve(repoRoot, '../shared/realdata/postfix-lightmeter');

let dir = '';
let config = '';
let worldLog = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-senders-check-'));
  // The generator's UIDs are 10000…11499: two of them have a passwd login (rows with `login`).
  await writeFile(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\na:x:10007:1004::/var/www/vhosts/a.example:/bin/false\nb:x:10001:1004::/var/www/vhosts/b.example:/bin/false\n');
  config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ timezone: 'Asia/Tokyo', passwdFile: join(dir, 'passwd'), maillog: [join(dir, 'not-used')], stateDir: join(dir, 'state') }));
  worldLog = join(dir, 'maillog');
  generateMaillog(worldLog, 1024 * 1024);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function senders(args: string[], json = true): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['senders', '--config', config, ...(json ? ['--json'] : []), ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: {} });
  return { code, stdout, stderr };
}

const clearCache = () => rm(join(dir, 'state', 'cache'), { recursive: true, force: true });

/** Real documents: the bench generator's world (uid, sasl, client senders, limit refusals) and real Postfix logs. */
async function realDocuments(): Promise<Array<{ name: string; stdout: string }>> {
  const individual = join(REAL, 'individual');
  const logs = [
    { name: 'generator world', paths: [worldLog] },
    { name: 'lightmeter sample', paths: [join(REAL, 'sample/mail.log.1'), join(REAL, 'sample/mail.log')] },
    { name: 'lightmeter individual', paths: readdirSync(individual).filter((f) => f.endsWith('.log')).map((f) => join(individual, f)) },
  ];
  const out = [];
  for (const l of logs) {
    await clearCache();
    const r = await senders(l.paths.flatMap((p) => ['--maillog', p]));
    assert.ok(r.code === 0 || r.code === 1, `${l.name}: exit ${r.code} ${r.stderr}`);
    out.push({ name: l.name, stdout: r.stdout });
  }
  return out;
}

let docs: Array<{ name: string; stdout: string }> = [];
const world = () => JSON.parse(docs[0]!.stdout) as SendersReport;

describe('senders document check', () => {
  before(async () => {
    docs = await realDocuments();
  });

  it('real documents pass the contract schema unchanged (nothing stripped, nothing converted) and the run-time check', () => {
    for (const d of docs) {
      const doc = JSON.parse(d.stdout) as SendersReport;
      assert.ok(doc.senders.length > 0, `${d.name} has senders`);
      assert.equal(`${JSON.stringify(SendersReportSchema.parse(doc), null, 2)}\n`, d.stdout, d.name);
      assert.equal(checkSendersReport(doc), doc);
    }
    const w = world();
    assert.ok(w.senders.some((s) => s.login !== undefined) && w.senders.some((s) => s.peakHour !== null), 'the world has rows with a login and a peak hour');
    assert.ok(new Set(w.senders.map((s) => s.kind)).size === 3, 'the world has all three kinds');
  });

  it('knows exactly the schema\'s fields', () => {
    assert.deepEqual([...REPORT_KEYS], Object.keys(SendersReportSchema.shape));
    assert.deepEqual([...ROW_KEYS], Object.keys(SenderRowSchema.shape));
    assert.deepEqual([...TOTALS_KEYS], Object.keys(SendersReportSchema.shape.totals.shape));
  });

  it('refuses every mutation the schema refuses, and refuses an unknown field the schema would strip', () => {
    // The world's document with two rows: its first, and one with a login and a peak hour.
    const full = world();
    const base = { ...full, senders: [full.senders[0]!, full.senders.find((s) => s.login !== undefined && s.peakHour !== null)!] };
    // Mutate each field of the document, of both rows, and of the first element of each list:
    // each a value of another type, a negative, a fraction, NaN, beyond 2^53; dropped; an extra field.
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, path: Array<string | number>) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((e, i) => (i === 0 || path.at(-1) === 'senders') && walk(e, [...path, i]));
      else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...path, k]);
    };
    walk(base, []);
    const bad: unknown[] = [-1, 1.5, Number.NaN, 2 ** 53, 'x', null, true, {}, [], [1], undefined, 'client-x'];
    let refusedByBoth = 0;
    for (const path of paths.slice(1)) {
      for (const value of [...bad, 'drop', 'extra']) {
        const doc = structuredClone(base) as unknown as Record<string | number, unknown>;
        let parent = doc;
        for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        const last = path.at(-1)!;
        if (value === 'drop') Array.isArray(parent) ? parent.splice(last as number, 1) : delete parent[last];
        else if (value === 'extra') {
          const target = parent[last];
          if (typeof target !== 'object' || target === null || Array.isArray(target)) continue;
          (target as Record<string, unknown>).unknownField = 1;
        } else parent[last] = value;
        const schemaOk = SendersReportSchema.safeParse(doc).success;
        let checkOk = true;
        try {
          checkSendersReport(doc as unknown as SendersReport);
        } catch (err) {
          assert.match((err as Error).message, /^senders report: report/);
          checkOk = false;
        }
        const what = `${path.join('.')} = ${String(value)}`;
        if (!schemaOk) {
          assert.equal(checkOk, false, `the schema refuses ${what}, the check accepts it`);
          refusedByBoth++;
        } else if (value === 'extra' || (path.at(-1) === 'login' && value === undefined)) {
          // Stricter than the schema, on purpose: zod strips an unknown key (and an optional key set to undefined).
          assert.equal(checkOk, false, `${what}: the check should refuse what zod would strip`);
        } else {
          assert.equal(checkOk, true, `the schema accepts ${what}, the check refuses it`);
        }
      }
    }
    assert.ok(refusedByBoth > 900, `mutations refused: ${refusedByBoth}`);
  });

  it('builds the same rows and cache records straight from the accumulators as from the senders\' stats', async () => {
    const sample = [join(REAL, 'sample/mail.log.1'), join(REAL, 'sample/mail.log')];
    // The fixture world's last 3 MB (captured Postfix lines): the incident's limit refusals.
    const world = await cachedWorld();
    const text = await readFile(join(world.dir, 'var/log/mail.log'));
    const cut = text.indexOf(10, text.length - 3 * 1024 * 1024) + 1;
    const incident = join(dir, 'incident.log');
    await writeFile(incident, text.subarray(cut));
    const rows: SendersReport['senders'] = [];
    for (const paths of [[worldLog], sample, [incident]]) {
      const acc = createMailFlow();
      const scan = await scanMaillogFiles(await expandMaillog(paths), { zone: 'Asia/Tokyo', referenceMs: Date.UTC(2026, 10, 28), onEvent: acc.add, threads: 1 });
      const flow = acc.finish(scan);
      assert.ok(flow.senders instanceof TallySenders);
      const { passwd } = parsePasswd(await readFile(join(dir, 'passwd'), 'utf8'));
      const input = { files: scan.files, warnings: [], passwd, zone: 'Asia/Tokyo', since: undefined, until: undefined };
      const direct = buildSendersReport({ flow, ...input });
      // The flow cache's records (diagnose writes them) the same way.
      const records = [...flowRecords(flow).records];
      const statsFlow = { ...flow, senders: new Map(flow.senders) };
      const viaStats = buildSendersReport({ flow: statsFlow, ...input });
      assert.deepEqual(direct, viaStats);
      assert.deepEqual(records, [...flowRecords(statsFlow).records]);
      assert.ok(direct.senders.length > 0, `${paths[0]}: senders`);
      rows.push(...direct.senders);
    }
    // Rows that read each of the accumulator's parts: all three kinds, limit refusals, scripts, a SASL user's IPs.
    assert.deepEqual(new Set(rows.map((r) => r.kind)), new Set(['uid', 'sasl', 'client']));
    assert.ok(rows.some((r) => r.limitRejected > 0), 'a row with limit refusals');
    assert.ok(rows.some((r) => r.scripts.length > 0), 'a row with scripts');
    assert.ok(rows.some((r) => r.kind === 'sasl' && r.clientIps.length > 1), 'a SASL row with several IPs');
    assert.ok(rows.some((r) => r.login !== undefined), 'a row with a login');
  });

  it('topOf keeps what sorting every entry and keeping n kept, ties broken by key', () => {
    const sortSlice = (m: Map<string, number>, n: number) =>
      [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([k, c]) => ({ k, count: c }));
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.nat(4)), { maxLength: 30 }), fc.integer({ min: 1, max: 12 }),
      (entries, n) => {
        const m = new Map(entries);
        assert.deepEqual(topOf(m, 'k', n), sortSlice(m, n));
      },
    ), { numRuns: 2000 });
  });
});

describe('senders report cache', () => {
  it('answers --json and the table from one entry, byte for byte as the uncached run, in either order', async () => {
    const args = ['--maillog', worldLog];
    await clearCache();
    const json = await senders(args);
    const tableCached = await senders(args, false);
    await clearCache();
    const table = await senders(args, false);
    const jsonCached = await senders(args);
    for (const r of [json, tableCached, table, jsonCached]) assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(json.stderr + table.stderr, /answered from the cache/);
    assert.match(tableCached.stderr, /answered from the cache/);
    assert.match(jsonCached.stderr, /answered from the cache/);
    assert.equal(jsonCached.stdout, json.stdout);
    assert.equal(tableCached.stdout, table.stdout);
    assert.equal(table.stdout, formatSendersText(JSON.parse(json.stdout) as SendersReport));
    // The entry holds the document exactly as --json prints it, after a head line; it is the only entry
    // (no flow entry: the report's key includes the flow's).
    const entries = await Promise.all((await readdir(join(dir, 'state', 'cache'))).map((n) => readFile(join(dir, 'state', 'cache', n), 'utf8')));
    assert.equal(entries.length, 1, 'one entry');
    assert.ok(entries[0]!.endsWith(json.stdout.slice(0, -1)), 'the entry holds the printed document');
    const head = JSON.parse(entries[0]!.split('\n')[1]!) as { exit: number; notes: string[]; unreadable: boolean; logins: Array<[number, string | null]>; passwdWarnings: string[] };
    assert.deepEqual({ ...head, logins: undefined }, { exit: 0, notes: [], unreadable: false, logins: undefined, passwdWarnings: [] });
    const uidRows = (JSON.parse(json.stdout) as SendersReport).senders.filter((r) => r.kind === 'uid');
    assert.deepEqual(head.logins, uidRows.map((r) => [Number(r.id), r.login ?? null]));
    assert.ok(head.logins.some(([, l]) => l === 'a') && head.logins.some(([, l]) => l === null));
  });

  it('answers from the cache when passwd changes, exactly as a run from scratch with the new passwd', async () => {
    const args = ['--maillog', worldLog];
    const passwd = join(dir, 'passwd');
    const before = await readFile(passwd, 'utf8');
    const fresh = async () => {
      await clearCache();
      const r = await senders(args);
      assert.doesNotMatch(r.stderr, /answered from the cache/);
      return r;
    };
    try {
      await clearCache();
      const first = await senders(args);
      assert.equal(first.code, 0, first.stderr);
      // A login for another user only: the stored document stands as it is.
      await writeFile(passwd, `${before}c:x:4242:1004::/var/www/vhosts/c.example:/bin/false\n`);
      const other = await senders(args);
      assert.match(other.stderr, /answered from the cache/);
      assert.equal(other.stdout, first.stdout);
      // 10007 renamed, a uid sender without a login given one, 10001 gone, a garbled line: logins, warnings, notes and exit mended.
      const uids = (JSON.parse(first.stdout) as SendersReport).senders.filter((r) => r.kind === 'uid');
      const unnamed = uids.find((r) => r.login === undefined)!.id;
      assert.ok(uids.some((r) => r.id === '10007' && r.login === 'a'));
      await writeFile(passwd, `root:x:0:0:root:/root:/bin/bash\na2:x:10007:1004::/h:/bin/false\nnew:x:${unnamed}:1004::/h:/bin/false\ngarbled line\n`);
      const mended = await senders(args);
      assert.match(mended.stderr, /answered from the cache/);
      const table = await senders(args, false);
      const scratch = await fresh();
      assert.equal(mended.stdout, scratch.stdout);
      assert.equal(mended.code, 1);
      assert.equal(mended.code, scratch.code);
      assert.equal(mended.stderr.replace(/^.*answered from the cache\n/m, ''), scratch.stderr);
      assert.match(mended.stderr, /1 lines did not parse/);
      assert.equal(table.stdout, (await (async () => { await clearCache(); await senders(args); return senders(args, false); })()).stdout);
      const rows = (JSON.parse(mended.stdout) as SendersReport).senders;
      assert.equal(rows.find((r) => r.kind === 'uid' && r.id === '10007')?.login, 'a2');
      assert.equal(rows.find((r) => r.kind === 'uid' && r.id === unnamed)?.login, 'new');
      assert.ok(rows.filter((r) => r.kind === 'uid' && r.login !== undefined).length === 2);
      // The mended entry was stored: the next run prints it as stored.
      const again = await senders(args);
      assert.match(again.stderr, /answered from the cache/);
      assert.equal(again.stdout, scratch.stdout);
      // passwd unreadable: its warning, exit 1, the logins gone, as from scratch.
      await rm(passwd);
      const gone = await senders(args);
      assert.match(gone.stderr, /answered from the cache/);
      const goneScratch = await fresh();
      assert.equal(gone.stdout, goneScratch.stdout);
      assert.equal(gone.code, goneScratch.code);
      assert.match(gone.stderr, /cannot read passwd file/);
    } finally {
      await writeFile(passwd, before);
    }
  });
});
