// What a PHP file's code does with mail, read without running it: which ways
// it sends (mail(), PHPMailer, a sendmail pipe, an SMTP socket…), whether
// request input chooses recipients or headers, and whether it hides code.
// Heuristic by design; every regex is linear (no nested quantifiers over
// attacker text) and everything is bounded, so hostile files cost little.
import { callArguments, buildCodeViews, lineAt, type CodeViews } from './php-code-views.ts';
import { argumentInput, snippet, traceInputFlow, type InputFlow } from './php-input-flow.ts';
import { decodePayloads, type DecodeBudget } from './php-payloads.ts';

export const SEND_KINDS = ['mail', 'mb_send_mail', 'wp_mail', 'phpmailer', 'swiftmailer', 'sendmail-pipe', 'smtp-socket'] as const;
export type SendKind = (typeof SEND_KINDS)[number];

export const SIGNAL_NAMES = [
  'input-to-recipient', 'input-to-headers', 'input-to-sendmail-params', 'input-as-code', 'obfuscation', 'long-base64',
  'uploads-folder', 'hidden-name', 'disguised-name', 'library', 'recently-modified', 'future-mtime', 'too-large', 'unreadable',
  'named-by-logs',
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];
export type CodeSignal = { signal: SignalName; detail: string };

export type CodeFindings = { sends: SendKind[]; signals: CodeSignal[]; declaresMailer: boolean; includes: string[] };

const call = (names: string) => new RegExp(`(?<![\\w$>:\\x80-\\xff])(${names})\\s*\\(`, 'gi');
const MAIL_CALLS = call('mail|mb_send_mail|wp_mail');
const PIPE_CALLS = call('popen|proc_open|exec|shell_exec|system|passthru|pcntl_exec');
const SOCKET_CALLS = call('fsockopen|pfsockopen|stream_socket_client|socket_connect');
const RECIPIENT_METHODS = /->\s*(addAddress|addCC|addBCC|setTo|addTo|setBcc|addBcc|setCc|addCc)\s*\(/gi;
const HEADER_METHODS = /->\s*(setFrom|addCustomHeader|setSender|setReturnPath)\s*\(/gi;
const EVAL_DECODE = /(?<![\w$>:])(?:eval|assert)\s*\(\s*@?\s*(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|rawurldecode|urldecode|hex2bin|convert_uudecode|pack)\s*\(/gi;
const CODE_FROM_INPUT = /(?<![\w$>:])(?:eval|assert|create_function|call_user_func)\s*\(\s*@?\s*\$_(?:POST|GET|REQUEST|COOKIE|SERVER)|\$_(?:POST|GET|REQUEST|COOKIE)\s*\[[^\]\n]{0,100}\]\s*\(/i;
const EVAL_VARIABLE = /(?<![\w$>:])(?:eval|assert)\s*\(\s*@?\s*\$/i;
const PHPMAILER = /\bnew\s+\\?(?:PHPMailer\\PHPMailer\\)?PHPMailer\b|\buse\s+PHPMailer\\PHPMailer\\PHPMailer\b|\bclass\s+PHPMailer\b/i;
const SWIFT = /\b(?:Swift_Mailer|Swift_Message|Swift_SmtpTransport|Swift_SendmailTransport)\b|Symfony\\Component\\Mailer\\/;
const DECLARES_MAILER = /\bclass\s+(?:PHPMailer|Swift_\w+|SMTP|POP3)\b|\bnamespace\s+(?:PHPMailer\\PHPMailer|Symfony\\Component\\Mailer)\b/i;
const SMTP_DIALOGUE = /["'](?:EHLO |HELO |MAIL FROM:|RCPT TO:)/i;
const SENDMAIL = /sendmail|qmail-inject|postdrop|\bexim\b|msmtp/i;
const SMTP_PORT = /(?:^|[^\d.])(?:25|465|587|2525)(?:[^\d]|$)|smtp/i;
const INCLUDE = /\b(?:require|include)(?:_once)?\b\s*\(?([^;\n]{1,200})/gi;

const MAX_CALLS = 200;                  // call sites examined per kind: enough for real code, bounded for hostile files

/** Matches of a global regex, at most `max` of them. */
function* matches(re: RegExp, text: string, max = MAX_CALLS): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  let n = 0;
  for (let m = re.exec(text); m && n < max; m = re.exec(text), n++) yield m;
}

function line(views: CodeViews, at: number): string {
  return `line ${lineAt(views, at)}`;
}

function argText(views: CodeViews, args: Array<[number, number]> | null, i: number): string {
  const a = args?.[i];
  return a ? views.code.slice(a[0], a[1]) : '';
}

function findSends(views: CodeViews, flowOf: () => InputFlow, sends: Set<SendKind>, signals: CodeSignal[]): void {
  for (const m of matches(MAIL_CALLS, views.shape)) {
    if (/function\s*&?\s*$/i.test(views.shape.slice(Math.max(0, m.index - 20), m.index))) continue; // a definition
    const name = m[1]!.toLowerCase() as 'mail' | 'mb_send_mail' | 'wp_mail';
    sends.add(name);
    const args = callArguments(views, m.index + m[0].length - 1);
    const where = `${name}() on ${line(views, m.index)}`;
    const to = argumentInput(argText(views, args, 0), flowOf());
    if (to) signals.push({ signal: 'input-to-recipient', detail: `${where}: the recipient comes from the request (${to})` });
    const headers = argumentInput(argText(views, args, 3), flowOf());
    if (headers) signals.push({ signal: 'input-to-headers', detail: `${where}: headers come from the request (${headers})` });
    const params = name === 'wp_mail' ? null : argumentInput(argText(views, args, 4), flowOf());
    if (params) signals.push({ signal: 'input-to-sendmail-params', detail: `${where}: sendmail parameters come from the request (${params})` });
  }
  for (const [re, signal, what] of [[RECIPIENT_METHODS, 'input-to-recipient', 'the recipient'], [HEADER_METHODS, 'input-to-headers', 'the sender or a header']] as const) {
    for (const m of matches(re, views.shape)) {
      const why = argumentInput(argText(views, callArguments(views, m.index + m[0].length - 1), 0), flowOf());
      if (why) signals.push({ signal, detail: `${m[1]}() on ${line(views, m.index)}: ${what} comes from the request (${why})` });
    }
  }
  if (PHPMAILER.test(views.code)) sends.add('phpmailer');
  if (SWIFT.test(views.code)) sends.add('swiftmailer');
  for (const m of matches(PIPE_CALLS, views.shape)) {
    const args = argText(views, callArguments(views, m.index + m[0].length - 1), 0);
    const viaVariable = () => flowOf().assignments.some((a) => args.includes(`$${a.name}`) && (SENDMAIL.test(a.rhs) || /->\s*Sendmail\b/.test(a.rhs)));
    if (SENDMAIL.test(args) || viaVariable()) sends.add('sendmail-pipe');
  }
  if (/`[^`\n]{0,300}?sendmail/i.test(views.code)) sends.add('sendmail-pipe');
  for (const m of matches(SOCKET_CALLS, views.shape)) {
    const args = callArguments(views, m.index + m[0].length - 1);
    const text = args ? views.code.slice(args[0]?.[0] ?? 0, args[args.length - 1]?.[1] ?? 0) : '';
    if (SMTP_PORT.test(text)) sends.add('smtp-socket');
  }
  if (SMTP_DIALOGUE.test(views.code)) sends.add('smtp-socket');
}

function findObfuscation(views: CodeViews, signals: CodeSignal[]): void {
  EVAL_DECODE.lastIndex = 0;
  const first = EVAL_DECODE.exec(views.shape);
  if (first) signals.push({ signal: 'obfuscation', detail: `${line(views, first.index)}: runs decoded code (${first[0].replace(/\s+/g, '')}…)` });
  const input = CODE_FROM_INPUT.exec(views.code);
  if (input) signals.push({ signal: 'input-as-code', detail: `${line(views, input.index)}: runs code sent in the request (${snippet(views.code, input.index, 60)})` });
  else {
    const v = EVAL_VARIABLE.exec(views.shape);
    if (v && !first) signals.push({ signal: 'obfuscation', detail: `${line(views, v.index)}: evaluates a variable as code` });
  }
  const cf = /(?<![\w$>:])create_function\s*\(/i.exec(views.shape);
  if (cf) signals.push({ signal: 'obfuscation', detail: `${line(views, cf.index)}: create_function() builds code from a string` });
  const preg = /(?<![\w$>:])preg_replace\s*\(/gi;
  for (const m of matches(preg, views.shape)) {
    const pattern = argText(views, callArguments(views, m.index + m[0].length - 1), 0).trim();
    const lit = /^(['"])([\s\S]*)\1$/.exec(pattern)?.[2];
    if (!lit) continue;
    const delim = lit[0]!;
    const closer = ({ '(': ')', '{': '}', '[': ']', '<': '>' } as Record<string, string>)[delim] ?? delim;
    const mods = lit.slice(lit.lastIndexOf(closer) + 1);
    // Two checks, not /^[a-zA-Z]*e[a-zA-Z]*$/: that one is quadratic on a long run of letters (a file can hold 2 MB of them).
    if (/^[a-zA-Z]*$/.test(mods) && mods.includes('e') && !/\w/.test(delim)) {
      signals.push({ signal: 'obfuscation', detail: `${line(views, m.index)}: preg_replace() with the /e modifier runs the replacement as code` });
      break;
    }
  }
  const rot = /(?<![\w$>:])str_rot13\s*\(/i.exec(views.shape);
  if (rot && !first) signals.push({ signal: 'obfuscation', detail: `${line(views, rot.index)}: str_rot13() hides text` });
  const hexEscapes = views.code.match(/\\x[0-9a-fA-F]{2}/g)?.length ?? 0;
  if (hexEscapes >= 100) signals.push({ signal: 'obfuscation', detail: `${hexEscapes} \\x escapes in string literals` });
  const chrs = views.code.match(/\bchr\s*\(\s*\d{1,3}\s*\)/gi)?.length ?? 0;
  if (chrs >= 20) signals.push({ signal: 'obfuscation', detail: `${chrs} chr() calls build text character by character` });
  let run = 0;
  let longest = 0;
  let at = 0;
  for (let i = 0; i <= views.code.length; i++) {
    const c = i < views.code.length ? views.code.charCodeAt(i) : 0;
    const b64 = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 47 && c <= 57) || c === 43 || c === 61;
    if (b64) run++;
    else { if (run > longest) { longest = run; at = i - run; } run = 0; }
  }
  if (longest >= 1000) signals.push({ signal: 'long-base64', detail: `${line(views, at)}: a ${longest}-character base64-like string` });
}

function findIncludes(views: CodeViews): string[] {
  const out: string[] = [];
  for (const m of matches(INCLUDE, views.shape, 50)) {
    const expr = views.code.slice(m.index + m[0].length - m[1]!.length, m.index + m[0].length);
    const parts = expr.match(/'[^'\n]{0,200}'|"[^"\n]{0,200}"/g);
    if (parts) out.push(parts.map((p) => p.slice(1, -1)).join('').slice(0, 200));
  }
  return out;
}

export function analysePhpCode(text: string, opts: { startInPhp?: boolean; depth?: number; budget?: DecodeBudget } = {}): CodeFindings {
  const views = buildCodeViews(text, opts.startInPhp ?? false);
  // Following assignments costs the most; only files with a call that needs it pay for it.
  let flow: InputFlow | null = null;
  const flowOf = () => (flow ??= traceInputFlow(views));
  const sends = new Set<SendKind>();
  const signals: CodeSignal[] = [];
  findSends(views, flowOf, sends, signals);
  findObfuscation(views, signals);
  const budget = opts.budget ?? { bytes: 8 * 1024 * 1024 };
  const depth = opts.depth ?? 0;
  if (depth < 3) {
    for (const p of decodePayloads(views, flowOf, budget)) {
      const inner = analysePhpCode(p.text, { startInPhp: true, depth: depth + 1, budget });
      if (!inner.sends.length && !inner.signals.length) continue;
      const does = inner.sends.length ? `sends mail (${inner.sends.join(', ')})` : 'hides more code';
      signals.push({ signal: 'obfuscation', detail: `${line(views, p.at)}: a ${p.chain.join('→')} payload of ${p.text.length} bytes decodes to code that ${does}` });
      for (const k of inner.sends) sends.add(k);
      for (const s of inner.signals) if (s.signal !== 'obfuscation') signals.push({ signal: s.signal, detail: `in the payload decoded on ${line(views, p.at)}: ${s.detail}` });
    }
  }
  return { sends: [...sends], signals: dedupe(signals), declaresMailer: DECLARES_MAILER.test(views.code), includes: findIncludes(views) };
}

function dedupe(signals: CodeSignal[]): CodeSignal[] {
  const seen = new Set<string>();
  return signals.filter((s) => !seen.has(`${s.signal}|${s.detail}`) && !!seen.add(`${s.signal}|${s.detail}`)).slice(0, 50);
}
