package main

// The demo "upstream": a plain SQLite file at --db-file. Tests edit it directly
// (for example with better-sqlite3) between syncs, so its schema is part of
// this fake's interface and is also documented in test/interop/README.md:
//
//   users(id TEXT PRIMARY KEY, login TEXT, display_name TEXT, email TEXT)
//   groups(id TEXT PRIMARY KEY, display_name TEXT)
//   group_members(group_id TEXT, user_id TEXT, PRIMARY KEY(group_id, user_id))
//   roles(id TEXT PRIMARY KEY, display_name TEXT)
//   role_members(role_id TEXT, user_id TEXT, PRIMARY KEY(role_id, user_id))
//   projects(id TEXT PRIMARY KEY, display_name TEXT)
//
// The tables are created when missing, so a missing file syncs to zero
// resources. A membership row only becomes a grant when both its user and its
// group/role row exist (dangling rows are skipped).

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite"
)

const upstreamSchema = `
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, login TEXT, display_name TEXT, email TEXT);
CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, display_name TEXT);
CREATE TABLE IF NOT EXISTS group_members (group_id TEXT, user_id TEXT, PRIMARY KEY (group_id, user_id));
CREATE TABLE IF NOT EXISTS roles (id TEXT PRIMARY KEY, display_name TEXT);
CREATE TABLE IF NOT EXISTS role_members (role_id TEXT, user_id TEXT, PRIMARY KEY (role_id, user_id));
CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, display_name TEXT);
`

type upstreamUser struct {
	id, login, displayName, email string
}

type upstreamObject struct {
	id, displayName string
}

type membership struct {
	targetID, userID string
}

type upstreamData struct {
	users        []upstreamUser
	groups       []upstreamObject
	roles        []upstreamObject
	projects     []upstreamObject
	groupMembers []membership
	roleMembers  []membership
}

var firstUserNames = []string{"Alice", "Bob", "Carol", "Dan", "Frank"}

func openUpstream(ctx context.Context, path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, upstreamSchema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening upstream database %s: %w", path, err)
	}
	return db, nil
}

// seedUpstream inserts the deterministic demo data set. Existing rows win
// (ON CONFLICT DO NOTHING), so seeding twice changes nothing and a larger
// --users only adds the missing users and their memberships.
func seedUpstream(ctx context.Context, db *sql.DB, users int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	for i := 0; i < users; i++ {
		id := fmt.Sprintf("user-%07d", i)
		name := fmt.Sprintf("User %d", i)
		login := fmt.Sprintf("user%d", i)
		if i < len(firstUserNames) {
			name = firstUserNames[i]
			login = strings.ToLower(name)
		}
		if err := exec(`INSERT INTO users (id, login, display_name, email) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			id, login, name, login+"@example.com"); err != nil {
			return err
		}
	}
	for _, row := range [][3]string{
		{"groups", "group-engineers", "Engineers"},
		{"groups", "group-sales", "Sales"},
		{"roles", "role-admin", "Admin"},
		{"roles", "role-viewer", "Viewer"},
		{"projects", "project-apollo", "Apollo"},
		{"projects", "project-gemini", "Gemini"},
	} {
		if err := exec(`INSERT INTO `+row[0]+` (id, display_name) VALUES (?, ?) ON CONFLICT DO NOTHING`, row[1], row[2]); err != nil {
			return err
		}
	}
	for i := 0; i < users; i++ {
		id := fmt.Sprintf("user-%07d", i)
		group, role := "group-engineers", "role-viewer"
		if i%2 == 1 {
			group = "group-sales"
		}
		if i == 0 {
			role = "role-admin"
		}
		if err := exec(`INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, group, id); err != nil {
			return err
		}
		if err := exec(`INSERT INTO role_members (role_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, role, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func readUpstream(ctx context.Context, db *sql.DB) (*upstreamData, error) {
	d := &upstreamData{}
	rows, err := db.QueryContext(ctx, `SELECT id, COALESCE(login, ''), COALESCE(display_name, ''), COALESCE(email, '') FROM users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var u upstreamUser
		if err := rows.Scan(&u.id, &u.login, &u.displayName, &u.email); err != nil {
			rows.Close()
			return nil, err
		}
		d.users = append(d.users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	objects := func(table string) ([]upstreamObject, error) {
		rows, err := db.QueryContext(ctx, `SELECT id, COALESCE(display_name, '') FROM `+table+` ORDER BY id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []upstreamObject
		for rows.Next() {
			var o upstreamObject
			if err := rows.Scan(&o.id, &o.displayName); err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		return out, rows.Err()
	}
	if d.groups, err = objects("groups"); err != nil {
		return nil, err
	}
	if d.roles, err = objects("roles"); err != nil {
		return nil, err
	}
	if d.projects, err = objects("projects"); err != nil {
		return nil, err
	}

	members := func(table, target, targetTable string) ([]membership, error) {
		rows, err := db.QueryContext(ctx, `SELECT m.`+target+`, m.user_id FROM `+table+` m
			JOIN `+targetTable+` t ON t.id = m.`+target+`
			JOIN users u ON u.id = m.user_id
			ORDER BY m.`+target+`, m.user_id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []membership
		for rows.Next() {
			var m membership
			if err := rows.Scan(&m.targetID, &m.userID); err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, rows.Err()
	}
	if d.groupMembers, err = members("group_members", "group_id", "groups"); err != nil {
		return nil, err
	}
	if d.roleMembers, err = members("role_members", "role_id", "roles"); err != nil {
		return nil, err
	}
	return d, nil
}
