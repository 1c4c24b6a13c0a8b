// Runs regular expressions on long adversarial inputs and reports the time of
// each case, one at a time, so the test (redos-harness.ts) can stop a case
// that does not finish (terminating a worker stops V8 even inside a
// backtracking match) and go on from the next one. Plain JS: a worker does
// not get the test's TypeScript loader.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ cases, from }) => {
  const compiled = new Map();
  for (let i = from; i < cases.length; i++) {
    const c = cases[i];
    const key = `${c.flags}/${c.source}`;
    if (!compiled.has(key)) compiled.set(key, new RegExp(c.source, c.flags));
    const re = compiled.get(key);
    const text = c.prefix + c.unit.repeat(c.times) + c.suffix;
    parentPort.postMessage({ type: 'start', index: i });
    const t0 = performance.now();
    // A global pattern is used to find every match (replace, matchAll); any other one by exec, which also tries every start.
    re.lastIndex = 0;
    if (re.global || re.sticky) text.replace(re, '');
    else re.exec(text);
    parentPort.postMessage({ type: 'done', index: i, ms: performance.now() - t0 });
  }
  parentPort.postMessage({ type: 'end' });
});
