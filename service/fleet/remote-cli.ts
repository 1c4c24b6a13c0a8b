// How the installed CLI is started on a host: one `sh -c` with a fixed script
// (no inventory data in it) and the node override and CLI path as positional
// parameters, so they stay data ($1, $2) however hostile they are.
//
// Which node: the host's `sendtrace_node` if set; else the newest of Plesk's
// Node.js toolkit runtimes, /opt/plesk/node/<major>/bin/node (plesk.md §5.6
// [V] path, 16–22 seen), of major 20 or later; else `node` on PATH. The bundle
// needs Node 20.
import type { FleetHost } from './fleet-host.ts';

export const EXIT_NO_NODE = 91;
export const EXIT_NO_CLI = 92;
export const EXIT_OLD_NODE = 93;

const SCRIPT = [
  'node=$1; c1=$2; c2=$3; shift 3',
  'cli=',
  'for c in "$c1" "$c2"; do if [ -n "$c" ] && [ -f "$c" ]; then cli=$c; break; fi; done',
  'if [ -z "$node" ]; then',
  '  for c in /opt/plesk/node/*/bin/node; do',
  '    case ${c#/opt/plesk/node/} in [2-9][0-9]/bin/node) [ -x "$c" ] && node=$c ;; esac',
  '  done',
  'fi',
  `[ -n "$node" ] || node=$(command -v node) || { echo "sendtrace-fleet: no node: neither /opt/plesk/node/<20+>/bin/node nor node on PATH" >&2; exit ${EXIT_NO_NODE}; }`,
  `[ -n "$cli" ] || { echo "sendtrace-fleet: no sendtrace CLI at $c1\${c2:+ or $c2}: is the extension installed?" >&2; exit ${EXIT_NO_CLI}; }`,
  'v=$("$node" --version 2>/dev/null) || v=',
  `[ -n "$v" ] || { echo "sendtrace-fleet: $node does not run" >&2; exit ${EXIT_NO_NODE}; }`,
  `case $v in v[2-9][0-9].*) ;; *) echo "sendtrace-fleet: $node is $v; sendtrace needs Node 20 or later" >&2; exit ${EXIT_OLD_NODE} ;; esac`,
  // The command lives only as long as the SSH channel: when fleet gives up (a
  // timeout) or the connection drops, sshd closes our stdin and the watcher stops
  // the command. A "signal" request would be simpler, but OpenSSH refuses it for
  // root sessions ("session signalling requires privilege separation").
  // (An asynchronous list reads /dev/null unless redirected: hence fd 3.)
  'exec 3<&0',
  '"$node" "$cli" "$@" </dev/null 3<&- &',
  'pid=$!',
  '{ cat >/dev/null; kill -TERM "$pid"; } <&3 >/dev/null 2>&1 &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$pid"; rc=$?',
  // The watcher goes first, so a late EOF can never signal a recycled pid.
  'kill "$watcher" 2>/dev/null',
  'exit "$rc"',
].join('\n');

/** argv of `sendtrace <args…>` on the host (the first CLI candidate that exists is run). */
export function remoteCliArgv(host: FleetHost, args: readonly string[]): string[] {
  return ['sh', '-c', SCRIPT, 'sendtrace-fleet', host.node ?? '', host.cliCandidates[0]!, host.cliCandidates[1] ?? '', ...args];
}
