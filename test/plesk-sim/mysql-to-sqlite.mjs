// Translates the MySQL dialect of the psa schema, of data files and of queries
// into SQLite for the simulator's sql.js backend. Only what psa dumps and the
// product use: it is a test tool, and what it cannot translate it refuses loudly
// (a silently different database would make the backend comparison worthless).
//
// - String literals follow MySQL rules ('\'' and '' both mean a quote; \n \t \\ \0 …)
//   and are re-emitted as SQLite literals, so hostile test data means the same
//   bytes in both databases. NUL cannot be carried through sql.js: refused.
// - CREATE TABLE: AUTO_INCREMENT column → INTEGER PRIMARY KEY (rowid alias),
//   enum(…) → TEXT CHECK (col IN (…)), unsigned/charset/collate/comment dropped,
//   UNIQUE KEY name (…) → UNIQUE (…), KEY/INDEX/FOREIGN KEY dropped, table options
//   dropped; DATETIME/DATE → TEXT CHECK (canonical text), so a value MariaDB would
//   normalise (e.g. '2022-2-3 1:00') is refused here instead of printing differently.
// - SET / LOCK TABLES / UNLOCK TABLES dropped, INSERT IGNORE → INSERT OR IGNORE,
//   `/*!…*/` version comments dropped.

const WORD = /[A-Za-z0-9_$]/;

/** @typedef {{ type: 'ws'|'comment'|'string'|'ident'|'word'|'punct'|'semi', text: string, value?: string }} Token */

/** @returns {Token[]} */
export function tokenize(sql) {
  const tokens = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i])) i++;
      tokens.push({ type: 'ws', text: sql.slice(start, i) });
    } else if ((c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]))) || c === '#') {
      while (i < n && sql[i] !== '\n') i++;
      tokens.push({ type: 'comment', text: sql.slice(start, i) });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new Error('unterminated /* comment');
      i = end + 2;
      tokens.push({ type: 'comment', text: sql.slice(start, i) });
    } else if (c === "'" || c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new Error(`unterminated string literal starting ${JSON.stringify(sql.slice(start, start + 30))}`);
        const d = sql[i];
        if (d === '\\') {
          const e = sql[i + 1];
          if (e === undefined) throw new Error('unterminated string literal');
          value += UNESCAPE[e] ?? (e === '%' || e === '_' ? '\\' + e : e);
          i += 2;
        } else if (d === c) {
          if (sql[i + 1] === c) {
            value += c;
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ type: 'string', text: sql.slice(start, i), value });
    } else if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end === -1) throw new Error('unterminated `identifier`');
      i = end + 1;
      tokens.push({ type: 'ident', text: sql.slice(start, i), value: sql.slice(start + 1, end) });
    } else if (WORD.test(c)) {
      while (i < n && WORD.test(sql[i])) i++;
      tokens.push({ type: 'word', text: sql.slice(start, i), value: sql.slice(start, i) });
    } else if (c === ';') {
      i++;
      tokens.push({ type: 'semi', text: ';' });
    } else {
      i++;
      tokens.push({ type: 'punct', text: c });
    }
  }
  return tokens;
}

// MySQL string escapes (https://mariadb.com/kb/en/string-literals/); \% and \_ keep the backslash.
const UNESCAPE = { 0: '\0', "'": "'", '"': '"', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '\\': '\\' };

export function sqliteString(value) {
  if (value.includes('\0')) throw new Error('a NUL character in a string literal cannot be stored through sql.js; use the MariaDB backend');
  return `'${value.replace(/'/g, "''")}'`;
}

function emit(tokens) {
  return tokens
    .map((t) => {
      if (t.type === 'string') return sqliteString(t.value);
      if (t.type === 'ident') return `"${t.value.replace(/"/g, '""')}"`;
      return t.text;
    })
    .join('');
}

const significant = (t) => t.type !== 'ws' && t.type !== 'comment';
const isWord = (t, ...words) => t?.type === 'word' && words.includes(t.value.toUpperCase());

const newlines = (t) => t.text.split('\n').length - 1;

/** Splits into statements ({ tokens without the `;`, line of the first word }), dropping empty ones. */
export function splitStatements(sql) {
  const statements = [];
  let current = [];
  let line = 1;
  let startLine = 1;
  for (const t of tokenize(sql)) {
    if (significant(t) && !current.some(significant)) startLine = line;
    line += newlines(t);
    if (t.type === 'comment' && t.text.startsWith('/*!')) continue; // MySQL-only version comments
    if (t.type === 'semi') {
      if (current.some(significant)) statements.push({ tokens: current, line: startLine });
      current = [];
    } else current.push(t);
  }
  if (current.some(significant)) statements.push({ tokens: current, line: startLine });
  return statements;
}

/** Splits tokens at top-level commas (outside parentheses). */
function splitTopLevel(tokens) {
  const items = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    if (t.text === ')') depth--;
    if (t.text === ',' && depth === 0 && t.type === 'punct') items.push([]);
    else items[items.length - 1].push(t);
  }
  return items.filter((item) => item.some(significant));
}

/** Index just after the parenthesised group that starts at `open`. */
function groupEnd(tokens, open) {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].text === '(' && tokens[i].type === 'punct') depth++;
    if (tokens[i].text === ')' && tokens[i].type === 'punct' && --depth === 0) return i + 1;
  }
  throw new Error('unbalanced parentheses');
}

const DATETIME_GLOB = "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]'";
const DATE_GLOB = "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'";

function translateColumn(item, inlinePrimary) {
  const sig = item.filter(significant);
  const name = emit([sig[0]]);
  const typeWord = sig[1]?.value?.toLowerCase();
  if (!typeWord) throw new Error(`column ${name} has no type`);
  let rest = sig.slice(2);
  let typeArgs = [];
  if (rest[0]?.text === '(') {
    const end = groupEnd(rest, 0);
    typeArgs = rest.slice(0, end);
    rest = rest.slice(end);
  }
  const out = [];
  const checks = [];
  let autoIncrement = false;
  let type;
  if (typeWord === 'enum') {
    type = 'TEXT';
    checks.push(`${name} IN ${emit(typeArgs)}`);
  } else if (typeWord === 'datetime' || typeWord === 'timestamp') {
    type = 'TEXT';
    checks.push(`${name} GLOB ${DATETIME_GLOB}`);
  } else if (typeWord === 'date') {
    type = 'TEXT';
    checks.push(`${name} GLOB ${DATE_GLOB}`);
  } else if (/int$/.test(typeWord) || typeWord === 'integer') type = 'INTEGER';
  else if (/char$|text$/.test(typeWord) || typeWord === 'set') type = 'TEXT';
  else if (/blob$|binary$/.test(typeWord)) type = 'BLOB';
  else if (['decimal', 'numeric', 'float', 'double', 'real'].includes(typeWord)) type = 'NUMERIC';
  else throw new Error(`column ${name}: type ${typeWord} is not translated`);

  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    if (isWord(t, 'UNSIGNED', 'SIGNED', 'ZEROFILL')) continue;
    if (isWord(t, 'AUTO_INCREMENT')) autoIncrement = true;
    else if (isWord(t, 'CHARACTER', 'CHARSET', 'COLLATE')) i += isWord(rest[i + 1], 'SET') ? 2 : 1;
    else if (isWord(t, 'COMMENT')) i += 1;
    else if (isWord(t, 'ON') && isWord(rest[i + 1], 'UPDATE')) {
      i += 2;
      if (rest[i + 1]?.text === '(') i = groupEnd(rest, i + 1) - 1;
    } else if (isWord(t, 'CURRENT_TIMESTAMP')) {
      out.push('CURRENT_TIMESTAMP');
      if (rest[i + 1]?.text === '(') i = groupEnd(rest, i + 1) - 1;
    } else if ((t.text === '-' || t.text === '+') && rest[i + 1]?.type === 'word') {
      out.push(t.text + rest[++i].text); // a signed default such as -1
    } else out.push(emit([t]));
  }
  const text = out.join(' ');
  if (autoIncrement) {
    // Only INTEGER PRIMARY KEY assigns ids by itself in SQLite (max + 1, like a fresh MariaDB table).
    if (!/PRIMARY KEY/i.test(text) && !inlinePrimary(sig[0])) throw new Error(`AUTO_INCREMENT column ${name} is not the single-column primary key`);
    return `${name} INTEGER PRIMARY KEY`;
  }
  const nullable = !/NOT NULL/i.test(text);
  const check = checks.map((c) => ` CHECK (${nullable ? `${name} IS NULL OR ` : ''}${c})`).join('');
  return `${name} ${type}${text ? ` ${text}` : ''}${check}`;
}

function translateCreateTable(stmt) {
  const open = stmt.findIndex((t) => t.type === 'punct' && t.text === '(');
  if (open === -1) throw new Error('CREATE TABLE without a column list');
  const close = groupEnd(stmt, open);
  const head = emit(stmt.slice(0, open)).trim();
  const items = splitTopLevel(stmt.slice(open + 1, close - 1)).map((item) => item.filter(significant));
  const autoColumns = new Set(items.filter((it) => it.some((t) => isWord(t, 'AUTO_INCREMENT'))).map((it) => it[0].value));
  let movedPrimary = null;
  const isPrimaryOf = (it) => isWord(it[0], 'PRIMARY') && splitTopLevel(it.slice(3, -1)).length === 1 && autoColumns.has(it[3]?.value);
  const inlinePrimary = (nameToken) => {
    const found = items.find((it) => isPrimaryOf(it) && it[3].value === nameToken.value);
    if (found) movedPrimary = found;
    return Boolean(found);
  };
  const out = [];
  for (const item of items) {
    const first = item[0];
    if (isWord(first, 'KEY', 'INDEX', 'FULLTEXT', 'SPATIAL', 'FOREIGN')) continue;
    if (isWord(first, 'CONSTRAINT')) {
      if (item.some((t) => isWord(t, 'FOREIGN'))) continue;
      throw new Error(`table constraint not translated: ${emit(item)}`);
    }
    if (isWord(first, 'UNIQUE')) {
      const g = item.findIndex((t) => t.text === '(');
      out.push(`UNIQUE ${emit(item.slice(g, groupEnd(item, g)))}`);
    } else if (isWord(first, 'PRIMARY', 'CHECK')) out.push(item);
    else out.push(translateColumn(item, inlinePrimary));
  }
  const body = out.filter((it) => it !== movedPrimary).map((it) => (typeof it === 'string' ? it : emit(it.map((t, i) => (i ? [{ type: 'ws', text: ' ' }, t] : [t])).flat())));
  return `${head} (\n  ${body.join(',\n  ')}\n)`;
}

/** One MySQL statement (tokens) → SQLite text, or null when it has no SQLite meaning. */
export function translateStatement(stmt) {
  const sig = stmt.filter(significant);
  if (isWord(sig[0], 'SET', 'LOCK', 'UNLOCK')) return null;
  if (isWord(sig[0], 'CREATE') && isWord(sig[1], 'TABLE')) return translateCreateTable(stmt);
  if (isWord(sig[0], 'START') && isWord(sig[1], 'TRANSACTION')) return 'BEGIN';
  if (isWord(sig[0], 'INSERT') && isWord(sig[1], 'IGNORE')) {
    const at = stmt.indexOf(sig[1]);
    return emit([...stmt.slice(0, at), { type: 'word', text: 'OR IGNORE' }, ...stmt.slice(at + 1)]).trim();
  }
  return emit(stmt).trim();
}

/** A whole MySQL script → SQLite statements, each with the line it starts on and its original text (for messages). */
export function translateScript(sql) {
  const result = [];
  for (const { tokens, line } of splitStatements(sql)) {
    const text = translateStatement(tokens);
    if (text !== null) result.push({ sql: text, line, original: tokens.map((t) => t.text).join('').trim() });
  }
  return result;
}
