// SQL text for `plesk db -e`. The query travels as one argv word to the mysql
// client, so nothing can escape into a shell — but anything a customer or a
// file controls could still escape into SQL. Hence the rule, enforced here:
// SQL text is source code plus only values this module can prove harmless —
// safe integers and DATETIME literals formatted by our code from an instant.
// Domain names, logins, addresses are never put into SQL; callers filter in
// TypeScript after reading.
import { formatSqlDatetime } from '../time.ts';

const DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

export class SqlText {
  readonly text: string;
  // Only sql`` and sqlDatetime() construct one (the token is module-private).
  constructor(token: symbol, text: string) {
    if (token !== secret) throw new TypeError('SqlText is built only by sql`` and sqlDatetime()');
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}
const secret = Symbol('sql-text');

/**
 * Tagged template for query text. Interpolations may be safe integers or
 * SqlText (another sql`` fragment, or a sqlDatetime()); anything else throws.
 */
export function sql(strings: TemplateStringsArray, ...values: Array<number | SqlText>): SqlText {
  // A real template's strings array is frozen and carries `raw`; a hand-made one is refused.
  if (!Object.isFrozen(strings) || !Array.isArray((strings as { raw?: unknown }).raw)) throw new TypeError('sql must be used as a tagged template');
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new TypeError(`sql: ${value} is not a safe integer`);
      text += String(value);
    } else if (value instanceof SqlText) text += value.text;
    else throw new TypeError(`sql: refusing an interpolated ${typeof value}; only integers and SqlText may enter SQL`);
    text += strings[i + 1] ?? '';
  });
  return new SqlText(secret, text);
}

/** A quoted DATETIME literal for the instant `ms` as wall-clock time in `zone`. */
export function sqlDatetime(ms: number, zone: string): SqlText {
  if (!Number.isFinite(ms)) throw new TypeError(`sql: ${ms} is not an instant`);
  const text = formatSqlDatetime(ms, zone);
  if (!DATETIME.test(text)) throw new TypeError(`sql: ${JSON.stringify(text)} is not a DATETIME`);
  return new SqlText(secret, `'${text}'`);
}

/** Several fragments as one text (e.g. statements of one batch). */
export function sqlJoin(parts: readonly SqlText[], separator: SqlText = new SqlText(secret, '')): SqlText {
  for (const p of parts) if (!(p instanceof SqlText)) throw new TypeError('sqlJoin: only SqlText parts');
  return new SqlText(secret, parts.map((p) => p.text).join(separator.text));
}
