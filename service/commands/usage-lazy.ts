// Usage lines of the commands whose modules cli.ts loads only when they run
// (serve: fastify; fleet: ssh2): the rest of the program, the sidecar's
// worker threads included, starts without evaluating those libraries.
export const SERVE_USAGE = 'serve [--config FILE] [--socket PATH] [--dev-signer [--port N] [--now ISO-8601]]';

export const FLEET_SUBCOMMANDS = ['install', 'scan'] as const;
export const FLEET_USAGE = [
  'fleet install --inventory FILE --package ZIP [--limit GROUP|HOST] [--concurrency N] [--known-hosts FILE] [--accept-new] [--timeout SECONDS] [--json]',
  'fleet scan --inventory FILE [--limit GROUP|HOST] [--concurrency N] [--known-hosts FILE] [--accept-new] [--timeout SECONDS] [--json]',
];
