// Lets `node --test` run the TypeScript sources directly: a module hook that
// strips types with esbuild (already a build dependency), so tests need no
// extra runner. Node 20 cannot strip types by itself.
import { register } from 'node:module';
register('./ts-hooks.mjs', import.meta.url);
