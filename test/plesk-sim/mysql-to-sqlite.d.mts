// Types of mysql-to-sqlite.mjs for the TypeScript tests.
export type Token = { type: 'ws' | 'comment' | 'string' | 'ident' | 'word' | 'punct' | 'semi'; text: string; value?: string };
export function tokenize(sql: string): Token[];
export function sqliteString(value: string): string;
export function splitStatements(sql: string): Array<{ tokens: Token[]; line: number }>;
export function translateStatement(tokens: Token[]): string | null;
export function translateScript(sql: string): Array<{ sql: string; line: number; original: string }>;
