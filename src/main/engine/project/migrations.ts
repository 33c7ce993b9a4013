import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors';

/**
 * Numbered schema migrations. Migration N brings the schema from version N-1 to N; the version is
 * kept in SQLite's own `PRAGMA user_version`. Append new migrations; never edit a shipped one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Database) => void;
  /**
   * The migration rebuilds a table other tables reference: foreign keys are switched off around
   * its transaction (dropping the old table would otherwise cascade into the rows that point at
   * it) and checked inside it before the commit.
   */
  readonly rebuildsTables?: boolean;
}

const V1 = `
CREATE TABLE projects (
  id             INTEGER PRIMARY KEY,
  name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  last_opened_at INTEGER
);
CREATE INDEX projects_recent ON projects (last_opened_at DESC, updated_at DESC);

CREATE TABLE media (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  path        TEXT    NOT NULL,
  size        INTEGER NOT NULL CHECK (size >= 0),
  mtime_ms    INTEGER NOT NULL,
  quick_hash  TEXT    NOT NULL CHECK (length(quick_hash) = 64),
  probe_json  TEXT    NOT NULL CHECK (json_valid(probe_json)),
  added_at    INTEGER NOT NULL,
  UNIQUE (id, project_id)
);
CREATE INDEX media_project ON media (project_id);
CREATE INDEX media_fingerprint ON media (quick_hash, size);

-- A source is one click on the video. Removal is a soft delete (deleted_at) so that undo brings
-- back the very same row with its stems and mixer channel; rows no history entry can reach any
-- more are purged for real.
CREATE TABLE sources (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  media_id    INTEGER NOT NULL,
  ord         INTEGER NOT NULL CHECK (ord >= 1),
  name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  colour      TEXT    NOT NULL CHECK (length(colour) = 7 AND colour GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
  time_sec    REAL    NOT NULL CHECK (time_sec >= 0),
  x           REAL    NOT NULL CHECK (x BETWEEN 0 AND 1),
  y           REAL    NOT NULL CHECK (y BETWEEN 0 AND 1),
  created_at  INTEGER NOT NULL,
  deleted_at  INTEGER,
  UNIQUE (project_id, ord),
  UNIQUE (id, project_id),
  FOREIGN KEY (media_id, project_id) REFERENCES media (id, project_id) ON DELETE CASCADE
);
CREATE INDEX sources_media ON sources (media_id, project_id);

CREATE TABLE analyses (
  id            INTEGER PRIMARY KEY,
  media_id      INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  kind          TEXT    NOT NULL CHECK (length(kind) > 0),
  model_id      TEXT    NOT NULL,
  model_version TEXT    NOT NULL,
  params_json   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
  cache_path    TEXT,
  status        TEXT    NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
  error         TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  CHECK (status <> 'ready' OR cache_path IS NOT NULL),
  UNIQUE (media_id, kind, model_id, model_version)
);

CREATE TABLE jobs (
  id            TEXT    PRIMARY KEY,
  project_id    INTEGER REFERENCES projects (id) ON DELETE CASCADE,
  media_id      INTEGER REFERENCES media (id) ON DELETE SET NULL,
  kind          TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  stage         TEXT    NOT NULL DEFAULT '',
  progress      REAL    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  eta_sec       REAL,
  error_message TEXT,
  error_detail  TEXT,
  params_json   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
  result_json   TEXT    CHECK (result_json IS NULL OR json_valid(result_json)),
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX jobs_project ON jobs (project_id, created_at);
CREATE INDEX jobs_active ON jobs (state) WHERE state IN ('queued', 'running');

-- A stem row exists only for a complete file whose checksum was verified (see stems.ts).
CREATE TABLE stems (
  id            INTEGER PRIMARY KEY,
  project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  media_id      INTEGER NOT NULL,
  job_id        TEXT    REFERENCES jobs (id) ON DELETE SET NULL,
  source_id     INTEGER,
  kind          TEXT    NOT NULL CHECK (kind IN ('source', 'residual')),
  path          TEXT    NOT NULL,
  bytes         INTEGER NOT NULL CHECK (bytes > 0),
  sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
  model_id      TEXT    NOT NULL,
  model_version TEXT    NOT NULL DEFAULT '',
  params_json   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
  sample_rate   INTEGER NOT NULL CHECK (sample_rate > 0),
  channels      INTEGER NOT NULL CHECK (channels > 0),
  frames        INTEGER NOT NULL CHECK (frames >= 0),
  start_frame   INTEGER NOT NULL DEFAULT 0 CHECK (start_frame >= 0),
  preview       INTEGER NOT NULL DEFAULT 0 CHECK (preview IN (0, 1)),
  created_at    INTEGER NOT NULL,
  CHECK ((kind = 'source') = (source_id IS NOT NULL)),
  FOREIGN KEY (media_id, project_id) REFERENCES media (id, project_id) ON DELETE CASCADE,
  FOREIGN KEY (source_id, project_id) REFERENCES sources (id, project_id) ON DELETE CASCADE
);
CREATE INDEX stems_project ON stems (project_id, created_at);
CREATE INDEX stems_source ON stems (source_id, project_id);
CREATE INDEX stems_job ON stems (job_id);

-- Mixer settings belong to a source (not to one stem file), so they survive re-separation.
CREATE TABLE mixer_channels (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  role        TEXT    NOT NULL CHECK (role IN ('source', 'residual', 'original')),
  source_id   INTEGER,
  gain_db     REAL    NOT NULL DEFAULT 0 CHECK (gain_db BETWEEN -120 AND 24),
  pan         REAL    NOT NULL DEFAULT 0 CHECK (pan BETWEEN -1 AND 1),
  mute        INTEGER NOT NULL DEFAULT 0 CHECK (mute IN (0, 1)),
  solo        INTEGER NOT NULL DEFAULT 0 CHECK (solo IN (0, 1)),
  CHECK ((role = 'source') = (source_id IS NOT NULL)),
  FOREIGN KEY (source_id, project_id) REFERENCES sources (id, project_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX mixer_by_source ON mixer_channels (project_id, source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX mixer_by_role ON mixer_channels (project_id, role) WHERE role <> 'source';
CREATE INDEX mixer_source_fk ON mixer_channels (source_id, project_id);

CREATE TABLE mix_state (
  project_id     INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  master_gain_db REAL    NOT NULL DEFAULT 0 CHECK (master_gain_db BETWEEN -120 AND 24),
  monitor        TEXT    NOT NULL DEFAULT 'mix' CHECK (monitor IN ('mix', 'original'))
);

CREATE TABLE export_settings (
  project_id      INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  format          TEXT    NOT NULL DEFAULT 'wav24' CHECK (format IN ('wav16', 'wav24', 'f32')),
  sample_rate     INTEGER CHECK (sample_rate IS NULL OR sample_rate BETWEEN 8000 AND 384000),
  naming_template TEXT    NOT NULL DEFAULT '{index}_{project}_{stem}' CHECK (length(naming_template) BETWEEN 1 AND 200),
  folder          TEXT,
  include_stems   INTEGER NOT NULL DEFAULT 1 CHECK (include_stems IN (0, 1)),
  include_mix     INTEGER NOT NULL DEFAULT 0 CHECK (include_mix IN (0, 1)),
  include_video   INTEGER NOT NULL DEFAULT 0 CHECK (include_video IN (0, 1)),
  include_daw     INTEGER NOT NULL DEFAULT 1 CHECK (include_daw IN (0, 1))
);

-- Undo log: one row per user-visible step. forward/inverse are JSON lists of field patches.
-- applied = 0 rows form the redo tail; a new edit deletes them.
CREATE TABLE history (
  project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL CHECK (seq >= 1),
  kind          TEXT    NOT NULL,
  label         TEXT    NOT NULL,
  forward_json  TEXT    NOT NULL CHECK (json_valid(forward_json)),
  inverse_json  TEXT    NOT NULL CHECK (json_valid(inverse_json)),
  coalesce_key  TEXT,
  applied       INTEGER NOT NULL DEFAULT 1 CHECK (applied IN (0, 1)),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (project_id, seq)
) WITHOUT ROWID;
`;

/**
 * A source is asked for by a click, by a class name, or both: the click point becomes optional
 * (SQLite cannot drop NOT NULL in place, so the table is rebuilt with the same ids) and the class
 * name is added.
 */
const V5_SOURCES = `
CREATE TABLE sources_v5 (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  media_id    INTEGER NOT NULL,
  ord         INTEGER NOT NULL CHECK (ord >= 1),
  name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  colour      TEXT    NOT NULL CHECK (length(colour) = 7 AND colour GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
  time_sec    REAL    CHECK (time_sec IS NULL OR time_sec >= 0),
  x           REAL    CHECK (x IS NULL OR x BETWEEN 0 AND 1),
  y           REAL    CHECK (y IS NULL OR y BETWEEN 0 AND 1),
  class_name  TEXT    CHECK (class_name IS NULL OR length(class_name) BETWEEN 1 AND 40),
  created_at  INTEGER NOT NULL,
  deleted_at  INTEGER,
  -- The click point is whole or absent, and every source is asked for by a point, a class or both.
  CHECK ((x IS NULL) = (y IS NULL) AND (x IS NULL) = (time_sec IS NULL)),
  CHECK (x IS NOT NULL OR class_name IS NOT NULL),
  UNIQUE (project_id, ord),
  UNIQUE (id, project_id),
  FOREIGN KEY (media_id, project_id) REFERENCES media (id, project_id) ON DELETE CASCADE
);
INSERT INTO sources_v5 (id, project_id, media_id, ord, name, colour, time_sec, x, y, class_name, created_at, deleted_at)
  SELECT id, project_id, media_id, ord, name, colour, time_sec, x, y, NULL, created_at, deleted_at FROM sources;
DROP TABLE sources;
ALTER TABLE sources_v5 RENAME TO sources;
CREATE INDEX sources_media ON sources (media_id, project_id);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', up: (db) => db.exec(V1) },
  // Opening a file the user already has a project for finds that project by path.
  { version: 2, name: 'media path index', up: (db) => db.exec('CREATE INDEX media_path ON media (path)') },
  // The Original (the unprocessed audio) as an export target, off unless the user ticks it.
  {
    version: 3,
    name: 'export the original',
    up: (db) => db.exec('ALTER TABLE export_settings ADD COLUMN include_original INTEGER NOT NULL DEFAULT 0 CHECK (include_original IN (0, 1))'),
  },
  // What the user says the picture is: the app decides (auto), the synthetic world, or real footage.
  {
    version: 4,
    name: 'media scene setting',
    up: (db) => db.exec(`ALTER TABLE media ADD COLUMN scene TEXT NOT NULL DEFAULT 'auto' CHECK (scene IN ('auto', 'synthetic', 'real'))`),
  },
  { version: 5, name: 'sources by name', up: (db) => db.exec(V5_SOURCES), rebuildsTables: true },
  // How hard each source's stem is pulled out of the mix, and the time ranges moved out of its stem
  // (see engine/stem-edit); the defaults leave the separation's stems as they are.
  {
    version: 6,
    name: 'source strength and moved ranges',
    up: (db) =>
      db.exec(`
        ALTER TABLE sources ADD COLUMN strength REAL NOT NULL DEFAULT 0.5 CHECK (strength BETWEEN 0 AND 1);
        ALTER TABLE sources ADD COLUMN moves_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(moves_json) AND json_type(moves_json) = 'array');
      `),
  },
];

export const LATEST_VERSION = MIGRATIONS.length;

/**
 * Bring the database to the latest schema. Each migration runs in its own transaction together
 * with its user_version bump, so a crash leaves the database at a whole version.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new SchemaTooNewError(current, migrations.length);
  }
  for (const m of migrations.slice(current)) {
    // foreign_keys cannot change inside a transaction: switched off before it, back on after.
    const keysOn = db.pragma('foreign_keys', { simple: true }) === 1;
    if (m.rebuildsTables && keysOn) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        m.up(db);
        if (m.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration ${m.version} (${m.name}) would break ${broken.length} foreign key(s)`);
        }
        // PRAGMA cannot take bound parameters; version is an integer we own.
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } finally {
      if (m.rebuildsTables && keysOn) db.pragma('foreign_keys = ON');
    }
  }
  return db.pragma('user_version', { simple: true }) as number;
}

export class SchemaTooNewError extends AppError {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      'unsupported',
      `This library was saved by a newer version of Stemsight (schema ${found}, this version knows ${supported}). Update Stemsight to open it.`,
    );
    this.name = 'SchemaTooNewError';
  }
}
