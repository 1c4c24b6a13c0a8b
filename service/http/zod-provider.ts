// zod as Fastify's validator and serializer (the habit of
// turkerdev/fastify-type-provider-zod, in the few lines this project needs:
// no extra dependency). A route's `schema` parts are zod schemas; requests are
// parsed (and transformed) by them, responses are checked by them before they
// leave — a response that breaks the contract is a 500, never a silent leak of
// extra fields.
import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';
import { createError } from '../errors.ts';

export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

const PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** zod issues → `where: message` pairs a client can act on (the input itself is never echoed). */
export function describeIssues(part: string, error: z.ZodError): Array<{ where: string; message: string }> {
  return error.issues.slice(0, 10).map((i) => {
    const keys = i.code === 'unrecognized_keys' ? ` (${(i as { keys: string[] }).keys.map((k) => k.slice(0, 40)).join(', ')})` : '';
    return { where: [part, ...i.path.map(String)].join('.'), message: `${i.message}${keys}` };
  });
}

export class RequestValidationError extends Error {
  readonly issues: Array<{ where: string; message: string }>;
  constructor(issues: Array<{ where: string; message: string }>) {
    super(issues.map((i) => `${i.where}: ${i.message}`).join('; '));
    this.name = 'RequestValidationError';
    this.issues = issues;
  }
}

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => (data: unknown) => {
  const r = schema.safeParse(data);
  if (r.success) return { value: r.data };
  return { error: new RequestValidationError(describeIssues(PART[httpPart ?? 'body'] ?? 'request', r.error)) };
};

export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema, url }) => (data: unknown) => {
  const r = schema.safeParse(data);
  if (!r.success) {
    // Our bug, not the caller's: the route built a response outside the contract.
    const err = createError('SENDTRACE_ERR_INTERNAL', 'response-contract');
    err.cause = new Error(`response of ${url} breaks the contract: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    throw err;
  }
  return JSON.stringify(r.data);
};
