// The --json document: one object per command, versioned, holding every field the text shows
// (partial keys only). docs/json.md describes it.

export const JSON_SCHEMA = 'slmgr/v1';

export interface JsonError {
  kind: string;
  message: string;
  [field: string]: unknown;
}

export interface JsonDocument {
  schema: typeof JSON_SCHEMA;
  /** The slmgr switch without prefix ("dli"), or "help" / "version"; null for a usage error. */
  command: string | null;
  /** The machine the command acted on, or null when it never got that far. */
  machine: string | null;
  ok: boolean;
  exitCode: number;
  result: unknown;
  error: JsonError | null;
}

export function renderJson(doc: Omit<JsonDocument, 'schema'>): string {
  return `${JSON.stringify({ schema: JSON_SCHEMA, ...doc }, null, 2)}\n`;
}
