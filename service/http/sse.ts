// Server-sent events for GET /api/events: scan progress, new findings, action
// results. Each event about a subscription goes only to connections whose
// user may see it — judged when the event is sent, with the ownership of that
// moment. Connections are bounded per user and in total; a client that does
// not read is dropped rather than buffered without end.
import type { ServerResponse } from 'node:http';
import { createError } from '../errors.ts';
import type { Identity } from './auth/signature.ts';
import type { ServerEvent } from './contract.ts';

type Client = { identity: Identity; res: ServerResponse; key: string };

export type EventHub = {
  /** subscriptionId null: an event about the server (scan progress), for everyone. */
  publish(event: ServerEvent, subscriptionId: number | null): void;
  /** Takes over `res` (already hijacked from Fastify) until the client goes away. */
  attach(res: ServerResponse, identity: Identity): void;
  clients(): number;
  closeAll(): void;
};

export type EventHubOptions = { canSee: (identity: Identity, subscriptionId: number) => boolean; perUser?: number; total?: number; heartbeatMs?: number; maxBufferedBytes?: number };

export function createEventHub(o: EventHubOptions): EventHub {
  const clients = new Set<Client>();
  const perUser = o.perUser ?? 4;
  const total = o.total ?? 256;
  const maxBuffered = o.maxBufferedBytes ?? 1 << 20;
  let seq = 0;
  const drop = (c: Client) => {
    clients.delete(c);
    if (!c.res.writableEnded) c.res.end();
  };
  const write = (c: Client, text: string) => {
    if (c.res.writableEnded || c.res.destroyed) return drop(c);
    c.res.write(text);
    if (c.res.writableLength > maxBuffered) c.res.destroy();
  };
  const heartbeat = setInterval(() => {
    for (const c of clients) write(c, ': keep-alive\n\n');
  }, o.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    publish(event, subscriptionId) {
      const text = `id: ${++seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
      for (const c of clients) if (subscriptionId === null || o.canSee(c.identity, subscriptionId)) write(c, text);
    },
    attach(res, identity) {
      const key = `${identity.role}:${identity.clientId}:${identity.login}`;
      let mine = 0;
      for (const c of clients) if (c.key === key) mine++;
      if (mine >= perUser || clients.size >= total) {
        const e = createError('SENDTRACE_ERR_RATE_LIMITED', mine >= perUser ? `at most ${perUser} event streams per user` : 'too many event streams open');
        res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '30' });
        res.end(JSON.stringify({ error: { code: e.code, message: e.message } }));
        return;
      }
      const c: Client = { identity, res, key };
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      res.write('retry: 5000\n\n');
      clients.add(c);
      res.on('close', () => clients.delete(c));
    },
    clients: () => clients.size,
    closeAll() {
      clearInterval(heartbeat);
      for (const c of [...clients]) drop(c);
    },
  };
}
