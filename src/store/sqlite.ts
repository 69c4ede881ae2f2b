// better-sqlite3 is CommonJS. Loading it with require() spares every command the ESM loader's
// scan of its source for named exports, a measurable part of start-up.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
export type SqliteDatabase = BetterSqlite3.Database;
