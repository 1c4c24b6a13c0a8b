// Which variables of a PHP file carry request input: assignments are followed
// through any number of hops (`$a = $_POST['x']; $b = "To: $a";`) inside one
// file, without a parser. Good enough to tell "this form lets the visitor
// choose the recipient" from "this form mails the site owner".
import { statementEnd, type CodeViews } from './php-code-views.ts';

/** Request input as PHP code spells it. */
export const INPUT = /\$_(?:POST|GET|REQUEST|COOKIE|FILES)\b|\$_SERVER\s*\[\s*['"]HTTP_|\$HTTP_(?:POST|GET)_VARS|php:\/\/input|\bgetallheaders\s*\(/i;

export type Assignment = { name: string; op: '=' | '.='; at: number; rhsAt: number; rhs: string };

export type InputFlow = {
  assignments: Assignment[];
  tainted: Map<string, string>;         // variable → why (the input it came from)
  extractsInput: boolean;               // extract($_POST) and friends: any variable may be input
};

const ASSIGN = /\$([A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]{0,63})[ \t]*(?:\[[^\]\n;]{0,200}\][ \t]*){0,4}(\.=|=(?![=>]))/g;
const VAR = /\$([A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]{0,63})/g;
const FOREACH = /\bforeach\s*\(\s*(\$_(?:POST|GET|REQUEST|COOKIE)\b|\$_SERVER\b)[^)]{0,200}?\bas\s+(?:\$([A-Za-z_]\w{0,63})\s*=>\s*)?\$([A-Za-z_]\w{0,63})/gi;
const EXTRACT = /\b(?:extract|parse_str|import_request_variables|mb_parse_str)\s*\(\s*(?:\$_(?:POST|GET|REQUEST|COOKIE|SERVER)|\$\w+)/i;

export function traceInputFlow(views: CodeViews, maxAssignments = 5000): InputFlow {
  const assignments: Assignment[] = [];
  ASSIGN.lastIndex = 0;
  for (let m = ASSIGN.exec(views.shape); m && assignments.length < maxAssignments; m = ASSIGN.exec(views.shape)) {
    const from = m.index + m[0].length;
    assignments.push({ name: m[1]!, op: m[2] === '.=' ? '.=' : '=', at: m.index, rhsAt: from, rhs: views.code.slice(from, statementEnd(views, from)) });
  }
  const tainted = new Map<string, string>();
  FOREACH.lastIndex = 0;
  for (let m = FOREACH.exec(views.code); m; m = FOREACH.exec(views.code)) {
    if (m[2]) tainted.set(m[2], `key of ${m[1]}`);
    tainted.set(m[3]!, `value of ${m[1]}`);
  }
  // Fixpoint: each pass may add variables fed by those found before.
  for (let pass = 0; pass < 8; pass++) {
    let grew = false;
    for (const a of assignments) {
      if (tainted.has(a.name)) continue;
      const why = describeInput(a.rhs, tainted);
      if (why) { tainted.set(a.name, why); grew = true; }
    }
    if (!grew) break;
  }
  return { assignments, tainted, extractsInput: EXTRACT.test(views.code) };
}

/** Why an expression carries input (`$_POST['to']`, or `$to` ← …), or null. */
export function describeInput(expr: string, tainted: Map<string, string>): string | null {
  const direct = INPUT.exec(expr);
  if (direct) return snippet(expr, direct.index);
  VAR.lastIndex = 0;
  for (let m = VAR.exec(expr); m; m = VAR.exec(expr)) {
    const why = tainted.get(m[1]!);
    if (why !== undefined) return `$${m[1]} ← ${why}`.slice(0, 160);
  }
  return null;
}

/** Whether an argument carries input; with extract($_POST), any variable not assigned a constant counts. */
export function argumentInput(expr: string, flow: InputFlow): string | null {
  const why = describeInput(expr, flow.tainted);
  if (why || !flow.extractsInput) return why;
  VAR.lastIndex = 0;
  for (let m = VAR.exec(expr); m; m = VAR.exec(expr)) {
    const name = m[1]!;
    if (name !== 'this' && !flow.assignments.some((a) => a.name === name)) return `$${name} (the file extract()s request input into variables)`;
  }
  return null;
}

/** A short, single-line excerpt of code around an offset, for evidence details. */
export function snippet(text: string, at: number, len = 80): string {
  return text.slice(Math.max(0, at), at + len).replace(/\s+/g, ' ').trim();
}
