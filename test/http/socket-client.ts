// What the PHP shim does, from Node: signed HTTP requests over the sidecar's
// unix socket, and an event stream reader. Used by the socket tests, the
// world test and the API benchmark.
import { request, Agent } from 'node:http';
import { randomBytes } from 'node:crypto';
import { signRequest, type Identity } from '../../service/http/auth/signature.ts';

export type SocketResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

export function signedHeaders(key: Buffer, method: string, target: string, as: Identity, body = ''): Record<string, string> {
  return signRequest(key, { method, target, body, identity: as, timestamp: Math.floor(Date.now() / 1000), nonce: randomBytes(16).toString('hex') });
}

export function requestSocket(socketPath: string, o: { method?: string; path: string; headers?: Record<string, string>; body?: string; agent?: Agent }): Promise<SocketResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: o.method ?? 'GET', path: o.path, headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers }, ...(o.agent ? { agent: o.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A signed request as `as`, over the socket. */
export function callAs(socketPath: string, key: Buffer, as: Identity, method: string, path: string, body?: unknown, agent?: Agent): Promise<SocketResponse> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return requestSocket(socketPath, { method, path, headers: signedHeaders(key, method, path, as, text ?? ''), ...(text !== undefined ? { body: text } : {}), ...(agent ? { agent } : {}) });
}

export type EventStream = { events: Array<{ event: string; data: unknown }>; status: Promise<number>; close(): void };

export function openEventStream(socketPath: string, key: Buffer, as: Identity): EventStream {
  const events: EventStream['events'] = [];
  let buffer = '';
  let close = () => undefined as void;
  const status = new Promise<number>((resolve, reject) => {
    const req = request({ socketPath, path: '/api/events', headers: signedHeaders(key, 'GET', '/api/events', as) }, (res) => {
      resolve(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
    close = () => void req.destroy();
  });
  return { events, status, close: () => close() };
}
