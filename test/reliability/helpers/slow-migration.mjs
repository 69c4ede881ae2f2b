// A synthetic next schema version for the crash test (the released history has one version): the
// kind of migration docs/store.md describes, and a slow one on a store with many events, so kills
// land inside it. Rebuilds `events` with a new column (create, copy, drop, rename) and adds a
// column to `machines`. Shared by crash-child.mjs and crash.test.ts.

export const NEXT_MIGRATION = {
  name: 'events source and machine notes (test only)',
  up: (db) =>
    db.exec(`
      CREATE TABLE events_new (
        id         INTEGER PRIMARY KEY,
        machine_id INTEGER NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
        at         INTEGER NOT NULL,
        event_id   INTEGER NOT NULL,
        data       TEXT    NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object'),
        source     TEXT    NOT NULL DEFAULT 'lab'
      ) STRICT;
      INSERT INTO events_new (id, machine_id, at, event_id, data) SELECT id, machine_id, at, event_id, data FROM events;
      DROP TABLE events;
      ALTER TABLE events_new RENAME TO events;
      CREATE INDEX events_by_machine ON events (machine_id, at, id);
      ALTER TABLE machines ADD COLUMN note TEXT NOT NULL DEFAULT 'none';
    `),
};
