// Child-process entry of live-demo.ts: the sidecar as `serve --dev-signer`
// runs it, in-process from the sources, but with quick re-diagnosis (the
// default waits a minute between diagnoses) and quiet logs. Started under
// libfaketime, so this process, its worker threads and the action commands
// all share the world's clock. Prints `listening <port>` when ready.
import { loadConfig } from '../../../service/config.ts';
import { startServer } from '../../../service/server.ts';

const configFile = process.argv[2];
if (!configFile) throw new Error('usage: live-sidecar.ts CONFIG');
const server = await startServer(loadConfig(configFile, {}), {
  env: process.env, socketPath: null, devPort: 0, logLevel: 'warn',
  timing: { pollMs: 2_000, minIntervalMs: 5_000 },
});
process.stdout.write(`listening ${server.tcp!.port}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
