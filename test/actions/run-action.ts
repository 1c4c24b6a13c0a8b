// Child process entry for tests that need a separate process (concurrency, a
// mount namespace, a kill): runs one action command like the CLI would and
// prints {exit, json, error} as one JSON line.
//   node --import ./test/helpers/register-ts.mjs test/actions/run-action.ts CONFIG COMMAND [ARGS…]
import { loadConfig } from '../../service/config.ts';
import { runAction, type CommandName } from './world.ts';

const [configPath, command, ...args] = process.argv.slice(2);
const r = await runAction(loadConfig(configPath!, {}), command as CommandName, args);
process.stdout.write(`${JSON.stringify({ exit: r.exit, json: r.json, error: r.error ? { code: r.error.code, message: r.error.message } : null })}\n`);
process.exitCode = r.exit;
