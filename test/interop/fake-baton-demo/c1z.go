package main

// Writing the c1z: a working SQLite database with baton-sdk's v1 tables (see
// shared/reference/baton.md §1.4-1.6), then "C1ZF\x00" + one zstd frame of
// that database, written to <file>.tmp and renamed onto <file>.

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/segmentio/ksuid"
)

var (
	c1zMagicV1 = []byte("C1ZF\x00")
	c1zMagicV3 = []byte("C1Z3\x00")
)

// Timestamps are stored as text in the writer's local time, without a zone.
const c1zTimeFormat = "2006-01-02 15:04:05.999999999"

func c1zTime(t time.Time) string { return t.Local().Format(c1zTimeFormat) }

// The current (baton-sdk v0.25-era) v1 schema.
const c1zSchema = `
CREATE TABLE v1_resource_types (id integer primary key, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE UNIQUE INDEX idx_resource_types_external_sync_v1 ON v1_resource_types (external_id, sync_id);

CREATE TABLE v1_resources (id integer primary key, resource_type_id text not null, external_id text not null, parent_resource_type_id text, parent_resource_id text, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE INDEX idx_resources_resource_type_id_v1 ON v1_resources (resource_type_id);
CREATE INDEX idx_resources_parent_resource_id_v1 ON v1_resources (parent_resource_type_id, parent_resource_id);
CREATE UNIQUE INDEX idx_resources_external_sync_v1 ON v1_resources (external_id, sync_id);

CREATE TABLE v1_entitlements (id integer primary key, resource_type_id text not null, resource_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE INDEX idx_entitlements_resource_id_v1 ON v1_entitlements (resource_type_id, resource_id);
CREATE UNIQUE INDEX idx_entitlements_external_sync_v1 ON v1_entitlements (external_id, sync_id);

CREATE TABLE v1_grants (id integer primary key, resource_type_id text not null, resource_id text not null, entitlement_id text not null, principal_resource_type_id text not null, principal_resource_id text not null, external_id text not null, expansion blob, needs_expansion integer not null default 0, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE INDEX idx_grants_resource_id_v1 ON v1_grants (resource_type_id, resource_id);
CREATE INDEX idx_grants_principal_id_v1 ON v1_grants (principal_resource_type_id, principal_resource_id);
CREATE INDEX idx_grants_entitlement_id_principal_id_v1 ON v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id);
CREATE UNIQUE INDEX idx_grants_external_sync_v1 ON v1_grants (external_id, sync_id);

CREATE TABLE v1_sync_runs (id integer primary key, sync_id text not null, started_at datetime not null, ended_at datetime, sync_token text not null, sync_type text not null default 'full', parent_sync_id text not null default '', linked_sync_id text not null default '', supports_diff integer not null default 0, grants_backfilled integer not null default 0, stats text, ingest_invariant_generation text not null default '', ingest_invariant_coverage text not null default '', ingest_invariant_mode text not null default '');
CREATE UNIQUE INDEX idx_sync_runs_sync_id_v1 ON v1_sync_runs (sync_id);

CREATE TABLE v1_assets (id integer primary key, external_id text not null, content_type text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE UNIQUE INDEX idx_assets_external_sync_v1 ON v1_assets (external_id, sync_id);

CREATE TABLE v1_connector_sessions (id integer primary key, sync_id text NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL);
CREATE UNIQUE INDEX idx_connector_sessions_sync_key_v1 ON v1_connector_sessions (sync_id, key);
`

// The shape written by baton-sdk v0.2.51 (--legacy-schema): v1_sync_runs has
// only id, sync_id, started_at, ended_at, sync_token; v1_grants has no
// expansion/needs_expansion; there is no connector session table.
const c1zLegacySchema = `
CREATE TABLE v1_resource_types (id integer primary key, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE UNIQUE INDEX idx_resource_types_external_sync_v1 ON v1_resource_types (external_id, sync_id);

CREATE TABLE v1_resources (id integer primary key, resource_type_id text not null, external_id text not null, parent_resource_type_id text, parent_resource_id text, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE INDEX idx_resources_resource_type_id_v1 ON v1_resources (resource_type_id);
CREATE INDEX idx_resources_parent_resource_id_v1 ON v1_resources (parent_resource_type_id, parent_resource_id);
CREATE UNIQUE INDEX idx_resources_external_sync_v1 ON v1_resources (external_id, sync_id);

CREATE TABLE v1_entitlements (id integer primary key, resource_type_id text not null, resource_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE INDEX idx_entitlements_resource_id_v1 ON v1_entitlements (resource_type_id, resource_id);
CREATE UNIQUE INDEX idx_entitlements_external_sync_v1 ON v1_entitlements (external_id, sync_id);

CREATE TABLE v1_grants (id integer primary key, resource_type_id text not null, resource_id text not null, entitlement_id text not null, principal_resource_type_id text not null, principal_resource_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE INDEX idx_grants_resource_id_v1 ON v1_grants (resource_type_id, resource_id);
CREATE INDEX idx_grants_principal_id_v1 ON v1_grants (principal_resource_type_id, principal_resource_id);
CREATE UNIQUE INDEX idx_grants_external_sync_v1 ON v1_grants (external_id, sync_id);

CREATE TABLE v1_sync_runs (id integer primary key, sync_id text not null, started_at datetime not null, ended_at datetime, sync_token text not null);
CREATE UNIQUE INDEX idx_sync_runs_sync_id_v1 ON v1_sync_runs (sync_id);

CREATE TABLE v1_assets (id integer primary key, external_id text not null, content_type text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
CREATE UNIQUE INDEX idx_assets_external_sync_v1 ON v1_assets (external_id, sync_id);
`

type c1zWriter struct {
	db     *sql.DB
	syncID string
	legacy bool
	closed bool
}

func newC1ZWriter(ctx context.Context, path string, legacy bool) (*c1zWriter, error) {
	// Rollback journal in TRUNCATE mode, like baton's writable c1z files (not WAL).
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(TRUNCATE)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	w := &c1zWriter{db: db, syncID: ksuid.New().String(), legacy: legacy}
	schema := c1zSchema
	if legacy {
		schema = c1zLegacySchema
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = w.close()
		return nil, fmt.Errorf("creating c1z tables: %w", err)
	}
	// StartNewSync: an unfinished run with an empty progress token.
	q := `INSERT INTO v1_sync_runs (sync_id, started_at, sync_token, sync_type) VALUES (?, ?, '', 'full')`
	if legacy {
		q = `INSERT INTO v1_sync_runs (sync_id, started_at, sync_token) VALUES (?, ?, '')`
	}
	if _, err := db.ExecContext(ctx, q, w.syncID, c1zTime(time.Now())); err != nil {
		_ = w.close()
		return nil, fmt.Errorf("starting sync run: %w", err)
	}
	return w, nil
}

func (w *c1zWriter) close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.db.Close()
}

// inTx runs fn inside one transaction with a statement prepared from q.
func (w *c1zWriter) inTx(ctx context.Context, q string, fn func(*sql.Stmt) error) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer stmt.Close()
	if err := fn(stmt); err != nil {
		return err
	}
	return tx.Commit()
}

func (w *c1zWriter) putResourceTypes(ctx context.Context, rows []resourceTypeRow) error {
	return w.inTx(ctx, `INSERT INTO v1_resource_types (external_id, data, sync_id, discovered_at) VALUES (?, ?, ?, ?)`,
		func(s *sql.Stmt) error {
			for _, r := range rows {
				if _, err := s.ExecContext(ctx, r.id, r.data, w.syncID, c1zTime(time.Now())); err != nil {
					return err
				}
			}
			return nil
		})
}

func (w *c1zWriter) putResources(ctx context.Context, rows []resourceRow) error {
	return w.inTx(ctx, `INSERT INTO v1_resources (resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data, sync_id, discovered_at) VALUES (?, ?, NULL, NULL, ?, ?, ?)`,
		func(s *sql.Stmt) error {
			for _, r := range rows {
				if _, err := s.ExecContext(ctx, r.resourceType, r.resourceType+":"+r.resourceID, r.data, w.syncID, c1zTime(time.Now())); err != nil {
					return err
				}
			}
			return nil
		})
}

func (w *c1zWriter) putEntitlements(ctx context.Context, rows []entitlementRow) error {
	return w.inTx(ctx, `INSERT INTO v1_entitlements (resource_type_id, resource_id, external_id, data, sync_id, discovered_at) VALUES (?, ?, ?, ?, ?, ?)`,
		func(s *sql.Stmt) error {
			for _, r := range rows {
				if _, err := s.ExecContext(ctx, r.resourceType, r.resourceID, r.id, r.data, w.syncID, c1zTime(time.Now())); err != nil {
					return err
				}
			}
			return nil
		})
}

func (w *c1zWriter) putGrants(ctx context.Context, rows []grantRow) error {
	q := `INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, expansion, needs_expansion, data, sync_id, discovered_at) VALUES (?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?)`
	if w.legacy {
		q = `INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, data, sync_id, discovered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	}
	return w.inTx(ctx, q, func(s *sql.Stmt) error {
		for _, r := range rows {
			if _, err := s.ExecContext(ctx, r.resourceType, r.resourceID, r.entitlementID, r.principalType, r.principalID, r.id, r.data, w.syncID, c1zTime(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
}

// endSync marks the run finished: ended_at, the final progress token and (in
// the current schema) the stats.
func (w *c1zWriter) endSync(ctx context.Context, st syncStats, actions int) error {
	token := fmt.Sprintf(`{"actions":[],"current_action":null,"completed_actions_count":%d}`, actions)
	var err error
	if w.legacy {
		_, err = w.db.ExecContext(ctx, `UPDATE v1_sync_runs SET ended_at = ?, sync_token = ? WHERE sync_id = ?`,
			c1zTime(time.Now()), token, w.syncID)
	} else {
		_, err = w.db.ExecContext(ctx, `UPDATE v1_sync_runs SET ended_at = ?, sync_token = ?, stats = ? WHERE sync_id = ?`,
			c1zTime(time.Now()), token, st.json(), w.syncID)
	}
	if err != nil {
		return fmt.Errorf("ending sync run: %w", err)
	}
	return nil
}

// writeAtomically writes <path>.tmp with fill, then renames it onto <path>.
// Like baton it does not create missing parent directories. A cancellation
// seen before the rename leaves nothing at <path>.
func writeAtomically(ctx context.Context, path string, fill func(io.Writer) error) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// saveC1Z writes the v1 container: the magic, then the database streamed
// through a zstd encoder (one frame, no content size in its header).
func saveC1Z(ctx context.Context, dbPath, outPath string) error {
	src, err := os.Open(dbPath)
	if err != nil {
		return err
	}
	defer src.Close()
	return writeAtomically(ctx, outPath, func(out io.Writer) error {
		if _, err := out.Write(c1zMagicV1); err != nil {
			return err
		}
		enc, err := zstd.NewWriter(out, zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			return err
		}
		if _, err := io.Copy(enc, src); err != nil {
			_ = enc.Close()
			return err
		}
		return enc.Close()
	})
}

// savePebbleStub writes the v3 magic followed by a few arbitrary bytes: enough
// for a reader to recognise (and reject) a Pebble-engine c1z. It is not a
// readable v3 file.
func savePebbleStub(ctx context.Context, outPath string) error {
	manifest := []byte("fake-baton-demo: pebble2 engine stub, not a real v3 manifest")
	return writeAtomically(ctx, outPath, func(out io.Writer) error {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(manifest)))
		for _, part := range [][]byte{c1zMagicV3, n[:], manifest, {0x28, 0xb5, 0x2f, 0xfd}} {
			if _, err := out.Write(part); err != nil {
				return err
			}
		}
		return nil
	})
}
