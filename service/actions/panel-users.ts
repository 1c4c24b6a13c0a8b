// Additional panel users (psa `smb_users`, reference/plesk.md §3.1 [V]): the
// customer's staff logins, reset with `plesk bin user` (§4.2 [V]). readPanel
// does not read them (diagnose has no use for them); this one query does, all
// rows, filtered in TypeScript so no name ever enters SQL.
import { z } from 'zod';
import type { Config } from '../config.ts';
import { sqlInt, sqlText } from '../sources/mysql-batch.ts';
import { queryPleskDb } from '../sources/plesk-db.ts';
import { sql } from '../sources/sql-text.ts';

export type PanelUser = { id: number; login: string; ownerId: number; builtIn: boolean };

// isBuiltIn = 1 marks the user that IS the customer's own login [I: the column is
// [V] in the psa dump, its meaning inferred]; that one is reset as the customer.
const usersQuery = {
  label: 'additional panel users',
  sql: sql`SELECT id, login, ownerId, isBuiltIn FROM smb_users ORDER BY id`,
  columns: ['id', 'login', 'ownerId', 'builtIn'],
  schema: z.object({ id: sqlInt, login: sqlText, ownerId: sqlInt, builtIn: sqlInt.transform((v) => v !== 0) }),
} as const;

export async function readPanelUsers(config: Pick<Config, 'plesk'>): Promise<{ users: PanelUser[]; warnings: string[] }> {
  const [r] = await queryPleskDb(config, [usersQuery] as const, { timeoutMs: 60_000 });
  const warnings = [...r.warnings];
  if (r.missingTable) warnings.push(`psa table ${r.missingTable} does not exist: no additional panel users read`);
  return { users: r.rows, warnings };
}
