// Postfix's queue through its own tools (reference/plesk.md §4.5): `postqueue -j`
// lists it (one JSON object a line [V postqueue(1)]), `postcat -e -h -q ID…`
// prints each message's envelope and headers between `*** … queue/X/ID ***`
// markers, `postsuper -d -` deletes the queue IDs given on stdin [V postsuper(1)].
// Tools run with the caller's environment, so MAIL_CONFIG selects another
// Postfix instance exactly as it does for Postfix's own commands.
import { join } from 'node:path';
import { z } from 'zod';
import { createError } from '../errors.ts';
import { runCommand } from '../sources/run-command.ts';

export type QueuedMessage = { queueId: string; queue: string; arrival: number; size: number; sender: string; recipients: number };

const QUEUE_ID = /^[0-9A-Za-z]{5,20}$/;

const PostqueueLineSchema = z.object({
  queue_name: z.string(),
  queue_id: z.string().regex(QUEUE_ID),
  arrival_time: z.number(),
  message_size: z.number(),
  sender: z.string(),
  recipients: z.array(z.object({ address: z.string() }).loose()),
}).loose();

type Env = Record<string, string | undefined>;

/**
 * postqueue -j, validated line by line; a garbled line is counted and skipped.
 * showq reads the queue folders one after another (maildrop, incoming, active,
 * deferred, hold [V showq.c]), so a message that Postfix moves from active to
 * deferred while it reads is listed twice. The same queue ID twice in one
 * listing is one message: the later line, from the later folder, is kept.
 */
export function parsePostqueueJson(stdout: string): { messages: QueuedMessage[]; skipped: number } {
  const byId = new Map<string, QueuedMessage>();
  let skipped = 0;
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let parsed;
    try {
      parsed = PostqueueLineSchema.safeParse(JSON.parse(line));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      skipped++;
      continue;
    }
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const m = parsed.data;
    byId.delete(m.queue_id);
    byId.set(m.queue_id, { queueId: m.queue_id, queue: m.queue_name, arrival: m.arrival_time * 1000, size: m.message_size, sender: m.sender, recipients: m.recipients.length });
  }
  return { messages: [...byId.values()], skipped };
}

export async function listQueue(postfixBin: string, env: Env): Promise<{ messages: QueuedMessage[]; skipped: number }> {
  const r = await runCommand([join(postfixBin, 'postqueue'), '-j'], { env, timeoutMs: 120_000 });
  if (r.code !== 0) throw createError('SENDTRACE_ERR_COMMAND', 'postqueue -j', r.stderr.trim().split('\n')[0] || `exit code ${r.code}`);
  return parsePostqueueJson(r.stdout);
}

export type QueueHeaders = {
  uid: number | null;       // first Received: … (Postfix, from userid N): the submitting Unix user
  script: string | null;    // first X-PHP-Originating-Script: UID:file.php (reference/plesk.md §2 [V])
  vhost: string | null;     // first X-PPP-Vhost (Plesk's header naming the site [I])
};

const MARKER = /^\*\*\* ([A-Z][A-Z ]+) ([a-z]+)\/(?:[0-9A-Za-z]\/)*([0-9A-Za-z]+) \*\*\*$/;

/**
 * Splits `postcat -e -h` output per message and reads the three headers. The
 * FIRST occurrence counts: Postfix and PHP put theirs on top, and anything a
 * script adds (a forged `Received: … from userid 0`) comes after. A header
 * line cannot start with `***` (continuations start with white space), so a
 * message cannot forge a marker.
 */
export function parsePostcatHeaders(stdout: string): Map<string, QueueHeaders> {
  const out = new Map<string, QueueHeaders>();
  let id: string | null = null;
  let inHeaders = false;
  let lines: string[] = [];
  const finish = () => {
    if (id === null) return;
    const unfolded: string[] = [];
    for (const l of lines) {
      if (/^[ \t]/.test(l) && unfolded.length) unfolded[unfolded.length - 1] += ` ${l.trim()}`;
      else unfolded.push(l);
    }
    const first = (name: string) => unfolded.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim() ?? null;
    const received = first('Received');
    const uid = received ? /\(Postfix, from userid (\d+)\)/.exec(received)?.[1] : undefined;
    out.set(id, { uid: uid === undefined ? null : Number(uid), script: first('X-PHP-Originating-Script'), vhost: first('X-PPP-Vhost') });
  };
  for (const line of stdout.split('\n')) {
    const m = MARKER.exec(line);
    if (m) {
      if (m[1] === 'ENVELOPE RECORDS') {
        finish();
        id = m[3]!;
        lines = [];
        inHeaders = false;
      } else inHeaders = m[1] === 'MESSAGE CONTENTS' && m[3] === id;
      continue;
    }
    if (inHeaders) lines.push(line);
  }
  finish();
  return out;
}

/** Headers of the given messages; one that left the queue meanwhile is simply absent. */
export async function readQueueHeaders(postfixBin: string, env: Env, ids: string[]): Promise<Map<string, QueueHeaders>> {
  const out = new Map<string, QueueHeaders>();
  const postcat = join(postfixBin, 'postcat');
  const run = async (chunk: string[]) => {
    const r = await runCommand([postcat, '-e', '-h', '-q', ...chunk], { env, timeoutMs: 120_000, maxOutputBytes: 64 * 1024 * 1024 });
    for (const [id, h] of parsePostcatHeaders(r.stdout)) if (chunk.includes(id)) out.set(id, h);
    return r.code === 0;
  };
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100).filter((id) => QUEUE_ID.test(id));
    // postcat stops at the first message that is gone; the rest are asked one by one.
    if (!(await run(chunk))) for (const id of chunk) if (!out.has(id)) await run([id]);
  }
  return out;
}

export type QueueSource =
  | { kind: 'uid'; uid: number }
  | { kind: 'sender'; address: string }
  | { kind: 'script'; uid: number; name: string; path: string };

export function matchesSource(msg: QueuedMessage, headers: QueueHeaders | undefined, source: QueueSource): boolean {
  if (source.kind === 'sender') return msg.sender.toLowerCase() === source.address.toLowerCase();
  if (!headers) return false;
  if (source.kind === 'uid') return headers.uid === source.uid;
  // PHP writes the owner UID of the main script and the basename of the file that called mail() [V/I].
  return headers.script === `${source.uid}:${source.name}`;
}

/** Deletes exactly these queue IDs; returns those Postfix reports as removed. */
export async function deleteQueued(postfixBin: string, env: Env, ids: string[]): Promise<{ removed: string[]; message: string }> {
  const safe = ids.filter((id) => QUEUE_ID.test(id));
  if (!safe.length) return { removed: [], message: '' };
  const r = await runCommand([join(postfixBin, 'postsuper'), '-d', '-'], { env, stdin: `${safe.join('\n')}\n`, timeoutMs: 300_000 });
  const text = `${r.stderr}\n${r.stdout}`;
  const removed = [...text.matchAll(/^postsuper: ([0-9A-Za-z]+): removed$/gm)].map((m) => m[1]!).filter((id) => safe.includes(id));
  if (r.code !== 0) throw createError('SENDTRACE_ERR_COMMAND', 'postsuper -d -', text.trim().split('\n').find((l) => /fatal|error/i.test(l)) ?? `exit code ${r.code}`);
  return { removed, message: text.trim().split('\n').filter((l) => /Deleted:/.test(l)).join(' ') };
}
