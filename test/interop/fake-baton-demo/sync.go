package main

// The one-shot sync: read the upstream, turn it into baton objects (resource
// types, resources, entitlements, grants) and write them into a c1z.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

type resourceTypeRow struct {
	id   string
	data []byte
}

type resourceRow struct {
	resourceType, resourceID string
	data                     []byte
}

type entitlementRow struct {
	resourceType, resourceID, id string
	data                         []byte
}

type grantRow struct {
	resourceType, resourceID, entitlementID string
	principalType, principalID, id          string
	data                                    []byte
}

type syncObjects struct {
	resourceTypes []resourceTypeRow
	resources     []resourceRow
	entitlements  []entitlementRow
	grants        []grantRow
}

// buildObjects maps the upstream rows onto baton objects, the way baton-demo's
// resource syncers would.
func buildObjects(d *upstreamData, skipAnomaly map[string]bool) *syncObjects {
	o := &syncObjects{}

	rtMsgs := map[string][]byte{}
	for _, rt := range []struct {
		id, name string
		traits   []uint64
	}{
		{"user", "User", []uint64{traitUser}},
		{"group", "Group", []uint64{traitGroup}},
		{"role", "Role", []uint64{traitRole}},
		{"project", "Project", nil},
	} {
		var annos [][]byte
		if skipAnomaly[rt.id] {
			annos = append(annos, anyMsg("c1.connector.v2.SkipSyncAnomalyDetection", nil))
		}
		msg := resourceTypeMsg(rt.id, rt.name, rt.traits, annos)
		rtMsgs[rt.id] = msg
		o.resourceTypes = append(o.resourceTypes, resourceTypeRow{id: rt.id, data: msg})
	}

	userMsgs := map[string][]byte{}
	for _, u := range d.users {
		msg := resourceMsg("user", u.id, u.displayName, [][]byte{anyMsg("c1.connector.v2.UserTrait", userTraitMsg(u.email, u.login))})
		userMsgs[u.id] = msg
		o.resources = append(o.resources, resourceRow{"user", u.id, msg})
	}

	type entSpec struct {
		rt, traitName, slug, nameFmt, descFmt string
		purpose                               uint64
		objects                               []upstreamObject
		members                               []membership
	}
	specs := []entSpec{
		{"group", "GroupTrait", "member", "%s Group Member", "Member of the %s group", purposeAssignment, d.groups, d.groupMembers},
		{"role", "RoleTrait", "assigned", "%s Role Assigned", "Has the %s role", purposeAssignment, d.roles, d.roleMembers},
		{"project", "", "admin", "%s Project Admin", "Administrator of the %s project", purposePermission, d.projects, nil},
	}
	for _, s := range specs {
		entMsgs := map[string][]byte{}
		for _, obj := range s.objects {
			var annos [][]byte
			if s.traitName != "" {
				annos = append(annos, anyMsg("c1.connector.v2."+s.traitName, nil))
			}
			res := resourceMsg(s.rt, obj.id, obj.displayName, annos)
			o.resources = append(o.resources, resourceRow{s.rt, obj.id, res})

			entID := fmt.Sprintf("%s:%s:%s", s.rt, obj.id, s.slug)
			ent := entitlementMsg(res, entID,
				fmt.Sprintf(s.nameFmt, obj.displayName), fmt.Sprintf(s.descFmt, obj.displayName),
				[][]byte{rtMsgs["user"]}, s.purpose, s.slug)
			entMsgs[obj.id] = ent
			o.entitlements = append(o.entitlements, entitlementRow{s.rt, obj.id, entID, ent})
		}
		for _, m := range s.members {
			ent, principal := entMsgs[m.targetID], userMsgs[m.userID]
			if ent == nil || principal == nil {
				continue
			}
			entID := fmt.Sprintf("%s:%s:%s", s.rt, m.targetID, s.slug)
			grantID := fmt.Sprintf("%s:user:%s", entID, m.userID)
			o.grants = append(o.grants, grantRow{
				resourceType: s.rt, resourceID: m.targetID, entitlementID: entID,
				principalType: "user", principalID: m.userID, id: grantID,
				data: grantMsg(ent, principal, grantID),
			})
		}
	}
	return o
}

// syncStats holds the counts that go into v1_sync_runs.stats.
type syncStats struct {
	resourceTypes, resources, entitlements, grants    int
	resourcesByType, entitlementsByType, grantsByType map[string]int
}

func (o *syncObjects) stats() syncStats {
	s := syncStats{
		resourceTypes: len(o.resourceTypes), resources: len(o.resources),
		entitlements: len(o.entitlements), grants: len(o.grants),
		resourcesByType: map[string]int{}, entitlementsByType: map[string]int{}, grantsByType: map[string]int{},
	}
	for _, r := range o.resources {
		s.resourcesByType[r.resourceType]++
	}
	for _, e := range o.entitlements {
		s.entitlementsByType[e.resourceType]++
	}
	for _, g := range o.grants {
		s.grantsByType[g.resourceType]++
	}
	return s
}

// json renders the stats like protojson renders c1.reader.v2.SyncStats with
// proto names: snake_case keys, int64 values as JSON strings, zero values and
// empty maps left out, map keys sorted.
func (s syncStats) json() string {
	out := "{"
	sep := ""
	num := func(key string, v int) {
		if v != 0 {
			out += fmt.Sprintf(`%s"%s":"%d"`, sep, key, v)
			sep = ","
		}
	}
	byType := func(key string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out += fmt.Sprintf(`%s"%s":{`, sep, key)
		for i, k := range keys {
			if i > 0 {
				out += ","
			}
			out += fmt.Sprintf(`%s:"%d"`, jsonValue(k), m[k])
		}
		out += "}"
		sep = ","
	}
	num("resource_types", s.resourceTypes)
	num("resources", s.resources)
	num("entitlements", s.entitlements)
	num("grants", s.grants)
	byType("resources_by_resource_type", s.resourcesByType)
	byType("entitlements_by_resource_type", s.entitlementsByType)
	byType("grants_by_resource_type", s.grantsByType)
	return out + "}"
}

// sleepCtx sleeps for d in small steps so that a cancellation is seen quickly.
func sleepCtx(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		step := 50 * time.Millisecond
		if left < step {
			step = left
		}
		time.Sleep(step)
	}
}

func syncOnce(ctx context.Context, log *logger, opts *options) error {
	log.Debug("fake-baton-demo starting",
		field{"file", opts.file}, field{"db_file", opts.dbFile}, field{"init_db", opts.initDB},
		field{"storage_engine", opts.storageEngine}, field{"c1z_temp_dir", opts.c1zTempDir},
		field{"legacy_schema", opts.legacySchema}, field{"delay", opts.delay.String()})

	upstream, err := openUpstream(ctx, opts.dbFile)
	if err != nil {
		return err
	}
	if opts.initDB {
		log.Info("Initializing demo database", field{"db_file", opts.dbFile}, field{"users", opts.users})
		if err := seedUpstream(ctx, upstream, opts.users); err != nil {
			_ = upstream.Close()
			return fmt.Errorf("seeding upstream database: %w", err)
		}
	}
	data, err := readUpstream(ctx, upstream)
	_ = upstream.Close()
	if err != nil {
		return fmt.Errorf("reading upstream database: %w", err)
	}

	skip := map[string]bool{}
	for _, id := range opts.skipAnomalyTypes {
		skip[id] = true
	}
	objs := buildObjects(data, skip)

	if opts.storageEngine == "pebble" {
		return syncPebble(ctx, log, opts, objs)
	}

	// The working database lives in its own directory under --c1z-temp-dir
	// while the sync runs; the directory is removed afterwards.
	workDir, err := os.MkdirTemp(opts.c1zTempDir, "c1z")
	if err != nil {
		return fmt.Errorf("creating working directory: %w", err)
	}
	defer os.RemoveAll(workDir)
	dbPath := filepath.Join(workDir, "db")

	w, err := newC1ZWriter(ctx, dbPath, opts.legacySchema)
	if err != nil {
		return err
	}
	defer w.close()
	log.Debug("started new sync", field{"sync_id", w.syncID}, field{"working_db", dbPath})

	log.Info("Syncing resource types", field{"sync_id", w.syncID})
	if err := w.putResourceTypes(ctx, objs.resourceTypes); err != nil {
		return err
	}
	for _, rt := range objs.resourceTypes {
		log.Debug("synced resource type", field{"resource_type_id", rt.id})
	}

	log.Info("Syncing resources", field{"sync_id", w.syncID})
	if err := w.putResources(ctx, objs.resources); err != nil {
		return err
	}
	st := objs.stats()
	for _, rt := range objs.resourceTypes {
		log.Debug("synced resources", field{"resource_type_id", rt.id}, field{"count", st.resourcesByType[rt.id]})
	}

	if opts.delay > 0 {
		log.Debug("delaying the sync (--delay)", field{"delay", opts.delay.String()})
		if err := sleepCtx(ctx, opts.delay); err != nil {
			return err
		}
	}

	log.Info("Syncing entitlements", field{"sync_id", w.syncID})
	if err := w.putEntitlements(ctx, objs.entitlements); err != nil {
		return err
	}
	log.Info("Syncing grants", field{"sync_id", w.syncID})
	if err := w.putGrants(ctx, objs.grants); err != nil {
		return err
	}
	if err := w.endSync(ctx, st, len(objs.resourceTypes)*3+1); err != nil {
		return err
	}
	if err := w.close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := saveC1Z(ctx, dbPath, opts.file); err != nil {
		return err
	}
	log.Info("Sync complete", field{"sync_id", w.syncID}, field{"file", opts.file},
		field{"resource_types", st.resourceTypes}, field{"resources", st.resources},
		field{"entitlements", st.entitlements}, field{"grants", st.grants})
	return nil
}

// syncPebble simulates a connector built on baton-sdk >= v0.25.0 with the
// Pebble engine: the file starts with the v3 magic and is not SQLite at all.
func syncPebble(ctx context.Context, log *logger, opts *options, objs *syncObjects) error {
	log.Info("Syncing resource types")
	log.Info("Syncing resources")
	if opts.delay > 0 {
		if err := sleepCtx(ctx, opts.delay); err != nil {
			return err
		}
	}
	log.Info("Syncing entitlements")
	log.Info("Syncing grants")
	if err := savePebbleStub(ctx, opts.file); err != nil {
		return err
	}
	st := objs.stats()
	log.Info("Sync complete", field{"file", opts.file}, field{"storage_engine", "pebble"},
		field{"resources", st.resources}, field{"grants", st.grants})
	return nil
}
