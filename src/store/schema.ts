import type Database from 'better-sqlite3';

/**
 * 'SLMG', written to PRAGMA application_id (header offset 68) when a store is created, so a file
 * can be recognised as ours, or as another program's database, from its first 100 bytes.
 */
export const APPLICATION_ID = 0x534c4d47;

/**
 * One forward step of the schema. MIGRATIONS[i] brings a store from user_version i to i + 1.
 * Migrations are frozen once released: a change is a new entry, never an edit of an old one,
 * because stores created by released versions replay exactly this history.
 */
export interface Migration {
  readonly name: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'machines, products and events',
    up: (db) =>
      db.exec(`
        CREATE TABLE machines (
          id                            INTEGER PRIMARY KEY,
          name                          TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (name <> ''),
          is_local                      INTEGER NOT NULL CHECK (is_local IN (0, 1)),
          fqdn                          TEXT,
          dns_domain                    TEXT,
          ip_address                    TEXT,
          -- Not unique: machines cloned without sysprep share one, which is exactly what the lab shows.
          cmid                          TEXT    NOT NULL,
          created_at                    INTEGER NOT NULL,
          service_version               TEXT    NOT NULL,
          os_build                      INTEGER NOT NULL,
          lcid                          INTEGER NOT NULL,
          remaining_windows_rearm_count INTEGER NOT NULL,
          key_in_registry               INTEGER NOT NULL CHECK (key_in_registry IN (0, 1)),
          kms_machine                   TEXT,
          kms_port                      INTEGER,
          kms_lookup_domain             TEXT,
          kms_host_caching              INTEGER NOT NULL CHECK (kms_host_caching IN (0, 1)),
          kms_listening_port            INTEGER NOT NULL,
          kms_dns_publishing            INTEGER NOT NULL CHECK (kms_dns_publishing IN (0, 1)),
          kms_low_priority              INTEGER NOT NULL CHECK (kms_low_priority IN (0, 1)),
          vl_activation_interval        INTEGER NOT NULL,
          vl_renewal_interval           INTEGER NOT NULL,
          activation_type_enabled       INTEGER NOT NULL CHECK (activation_type_enabled BETWEEN 0 AND 3),
          kms_publish_domains           TEXT    NOT NULL CHECK (json_valid(kms_publish_domains) AND json_type(kms_publish_domains) = 'array'),
          kms_port_blocked              INTEGER NOT NULL CHECK (kms_port_blocked IN (0, 1))
        ) STRICT;
        CREATE INDEX machines_by_fqdn ON machines (fqdn COLLATE NOCASE);
        CREATE INDEX machines_by_ip ON machines (ip_address);
        -- At most one local machine, so concurrent first opens cannot both insert one.
        CREATE UNIQUE INDEX machines_one_local ON machines (is_local) WHERE is_local = 1;

        CREATE TABLE products (
          machine_id                INTEGER NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
          sku_id                    TEXT    NOT NULL COLLATE NOCASE,
          application_id            TEXT    NOT NULL,
          name                      TEXT    NOT NULL,
          description               TEXT    NOT NULL,
          partial_key               TEXT,
          key_digest                TEXT,
          key_group                 INTEGER,
          key_serial                INTEGER,
          channel                   TEXT,
          extended_pid              TEXT,
          installation_id           TEXT,
          installed_at              INTEGER,
          license_status            INTEGER NOT NULL CHECK (license_status BETWEEN 0 AND 6),
          grace_ends_at             INTEGER,
          status_reason             INTEGER,
          remaining_sku_rearm_count INTEGER NOT NULL,
          remaining_app_rearm_count INTEGER NOT NULL,
          activation_type_enabled   INTEGER NOT NULL CHECK (activation_type_enabled BETWEEN 0 AND 3),
          kms_machine               TEXT,
          kms_port                  INTEGER,
          kms_lookup_domain         TEXT,
          activated_at              INTEGER,
          kms_host_name             TEXT,
          kms_host_port             INTEGER,
          kms_host_ip               TEXT,
          kms_host_epid             TEXT,
          vl_activation_interval    INTEGER,
          vl_renewal_interval       INTEGER,
          kms_counted_id            TEXT,
          minimum_count             INTEGER,
          host_key_type             TEXT,
          kms_total_requests        INTEGER NOT NULL,
          kms_failed_requests       INTEGER NOT NULL,
          kms_unlicensed_requests   INTEGER NOT NULL,
          kms_licensed_requests     INTEGER NOT NULL,
          kms_oob_grace_requests    INTEGER NOT NULL,
          kms_oot_grace_requests    INTEGER NOT NULL,
          kms_non_genuine_grace_requests INTEGER NOT NULL,
          kms_notification_requests INTEGER NOT NULL,
          kms_next_attempt_at       INTEGER,
          PRIMARY KEY (machine_id, sku_id)
        ) STRICT, WITHOUT ROWID;
        -- KMS hosts are few among thousands of clients; discovery finds them through this index.
        CREATE INDEX products_kms_hosts ON products (host_key_type) WHERE host_key_type IS NOT NULL;
        CREATE INDEX products_due_attempts ON products (kms_next_attempt_at) WHERE kms_next_attempt_at IS NOT NULL;

        -- Unique client machine IDs a KMS host has seen, per application: its count is those seen in
        -- the last 30 days. One row per (host, application, CMID), so a repeat request never adds one.
        CREATE TABLE kms_clients (
          host_machine_id INTEGER NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
          application_id  TEXT    NOT NULL,
          cmid            TEXT    NOT NULL,
          last_seen       INTEGER NOT NULL,
          PRIMARY KEY (host_machine_id, application_id, cmid)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX kms_clients_recent ON kms_clients (host_machine_id, application_id, last_seen);

        -- The simulated Microsoft activation service: how often each host key activated each host.
        CREATE TABLE host_key_activations (
          key_digest  TEXT    NOT NULL,
          machine_id  INTEGER NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
          activations INTEGER NOT NULL,
          PRIMARY KEY (key_digest, machine_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE srv_records (
          id       INTEGER PRIMARY KEY,
          domain   TEXT    NOT NULL COLLATE NOCASE,
          priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 65535),
          weight   INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 65535),
          port     INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
          target   TEXT    NOT NULL
        ) STRICT;
        CREATE INDEX srv_records_by_domain ON srv_records (domain);

        CREATE TABLE settings (
          name  TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE events (
          id         INTEGER PRIMARY KEY,
          machine_id INTEGER NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
          at         INTEGER NOT NULL,
          event_id   INTEGER NOT NULL,
          data       TEXT    NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object')
        ) STRICT;
        CREATE INDEX events_by_machine ON events (machine_id, at, id);
      `),
  },
  {
    name: 'licensing objects: license files, key ranges, token licences, activation objects',
    up: (db) =>
      db.exec(`
        -- What the rest of slmgr keeps besides products: installed XrML licence files, key ranges
        -- taught by product-key configuration licences, token-based activation licences and
        -- certificates, Active Directory activation objects of the lab forest, and per-product
        -- activation details (AD, token, telephone). Few rows, read whole: one JSON document each.
        CREATE TABLE licensing_objects (
          id         INTEGER PRIMARY KEY,
          -- NULL for what belongs to the lab as a whole (the AD forest's activation objects).
          machine_id INTEGER REFERENCES machines (id) ON DELETE CASCADE,
          kind       TEXT    NOT NULL CHECK (kind <> ''),
          name       TEXT    NOT NULL COLLATE NOCASE CHECK (name <> ''),
          data       TEXT    NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object'),
          created_at INTEGER NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX licensing_objects_key ON licensing_objects (ifnull(machine_id, 0), kind, name);
      `),
  },
];
