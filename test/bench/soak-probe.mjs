// Preloaded into the sidecar by the soak bench (`node --import …/soak-probe.mjs
// dist/sendtrace.mjs serve …`, or the same under the TypeScript loader): answers
// a memory probe over the IPC channel the bench opened, so the sidecar runs as
// `sendtrace serve` runs and is still measured alone. Plain .mjs: it must load
// in front of the bundle without the loader. Worker threads inherit the
// preload (process.execArgv): there it does nothing.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

if (isMainThread && typeof process.send === 'function') {
  // A full collection before reading the heap makes a leak show as a trend, not as
  // the sawtooth of garbage not collected yet; exposing gc here keeps the command
  // line (which worker threads copy) as the product's.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  // The channel must not keep the sidecar alive once `serve` has stopped.
  process.channel?.unref();
  // How long the sidecar's main thread kept callbacks waiting, and how busy it was, since the last probe.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  process.on('message', (m) => {
    // For finding what grows: open two snapshots in Chrome DevTools (Memory, Comparison).
    if (m?.type === 'heap-snapshot') return void process.send({ type: 'heap-snapshot', id: m.id, path: writeHeapSnapshot(m.path) });
    if (m?.type !== 'memory') return;
    const busy = performance.eventLoopUtilization(elu).utilization;
    elu = performance.eventLoopUtilization();
    const loop = { loopDelayP99Ms: delay.percentile(99) / 1e6, loopDelayMaxMs: delay.max / 1e6, busy };
    delay.reset();
    const raw = process.memoryUsage();
    gc();
    const after = process.memoryUsage();
    process.send({ type: 'memory', id: m.id, ...loop, rss: raw.rss, heapUsed: raw.heapUsed, heapAfterGc: after.heapUsed, heapTotal: after.heapTotal, rssAfterGc: after.rss, external: after.external, arrayBuffers: after.arrayBuffers });
  });
}
