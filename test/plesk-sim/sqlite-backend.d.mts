// Types of sqlite-backend.mjs for the TypeScript tests.
export type SqliteDatabase = { run(sql: string): void; close(): void };
export function formatBatchField(value: unknown): string;
export function mariadbErrorLine(message: string, line: number): string;
export function openPsa(options: { schemaPath: string; dataPath: string; cacheDir?: string | null }): Promise<SqliteDatabase>;
export function runBatch(db: SqliteDatabase, script: string, options: { skipColumnNames: boolean }): { stdout: string; stderr: string; code: number };
