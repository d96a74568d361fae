package main

// Command-line handling that behaves like a baton connector's cobra/pflag +
// viper setup: long flags as `--name value` or `--name=value`, shorthands as
// `-f value`, `-f=value` or `-fvalue`, bool flags without a value (or
// `--name=false`), and every flag also readable from BATON_<NAME> (dashes
// become underscores) when it is not given on the command line. Errors use
// pflag's wording so that callers see the same text as from a real connector.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// commandName is what cobra would print in messages (the real command's name).
const commandName = "baton-demo"

type flagKind int

const (
	kindString flagKind = iota
	kindBool
	kindInt
	kindDuration
	kindStringSlice
)

type flagDef struct {
	name      string
	shorthand string
	kind      flagKind
	def       string
	usage     string
}

var flagDefs = []flagDef{
	{name: "file", shorthand: "f", kind: kindString, def: "sync.c1z", usage: "The path to the c1z file to sync with"},
	{name: "db-file", kind: kindString, def: "./baton-demo.db", usage: "Path to the demo \"upstream\" SQLite database"},
	{name: "init-db", kind: kindBool, def: "false", usage: "Seed the upstream database with the demo data set (INSERT ... ON CONFLICT DO NOTHING)"},
	{name: "users", kind: kindInt, def: "25", usage: "Number of users --init-db seeds (fake only)"},
	{name: "log-format", kind: kindString, def: "json", usage: "The output format for logs: json, console"},
	{name: "log-level", kind: kindString, def: "info", usage: "The log level: debug, info, warn, error"},
	{name: "storage-engine", kind: kindString, def: "sqlite", usage: "The storage engine of the c1z file: sqlite (v1 format) or pebble (v3 magic only; fake)"},
	{name: "c1z-temp-dir", kind: kindString, def: "", usage: "Directory for the working SQLite database (default: the OS temp dir; must exist)"},
	{name: "skip-anomaly-type", kind: kindStringSlice, def: "", usage: "Resource type id(s) that get the SkipSyncAnomalyDetection annotation (repeatable or comma list; fake only)"},
	{name: "delay", kind: kindDuration, def: "0s", usage: "Sleep this long in the middle of the sync (fake only)"},
	{name: "ignore-sigint", kind: kindBool, def: "false", usage: "Keep running after SIGINT (fake only)"},
	{name: "fail-code", kind: kindInt, def: "0", usage: "Print --fail-message to stderr and exit with this code before doing anything (fake only)"},
	{name: "fail-message", kind: kindString, def: "simulated connector failure", usage: "Message printed by --fail-code (fake only)"},
	{name: "legacy-schema", kind: kindBool, def: "false", usage: "Write the old baton-sdk v0.2.51 c1z schema (fake only)"},
	{name: "client-id", kind: kindString, def: "", usage: "The client ID used to authenticate with ConductorOne (refused: this fake only runs one-shot)"},
	{name: "client-secret", kind: kindString, def: "", usage: "The client secret used to authenticate with ConductorOne (ignored)"},
	{name: "provisioning", shorthand: "p", kind: kindBool, def: "false", usage: "Enable provisioning (accepted and ignored: a one-shot sync does not provision)"},
	{name: "help", shorthand: "h", kind: kindBool, def: "false", usage: "help for " + commandName},
}

type options struct {
	file             string
	dbFile           string
	initDB           bool
	users            int
	logFormat        string
	logLevel         string
	storageEngine    string
	c1zTempDir       string
	skipAnomalyTypes []string
	delay            time.Duration
	ignoreSigint     bool
	failCode         int
	failMessage      string
	legacySchema     bool
	clientID         string
	clientIDFromFlag bool
}

// invalidOptions is an error in the option values themselves (not in the
// command line's syntax); it is printed without cobra's "Error:" prefix.
type invalidOptions struct{ msg string }

func (e invalidOptions) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return invalidOptions{fmt.Sprintf(format, args...)}
}

type helpRequested struct{}

func (helpRequested) Error() string { return "help requested" }

// flagValues collects raw values per flag name; slices accumulate.
type flagValues struct {
	set    map[string]bool
	values map[string][]string
}

func findLong(name string) *flagDef {
	for i := range flagDefs {
		if flagDefs[i].name == name {
			return &flagDefs[i]
		}
	}
	return nil
}

func findShort(c string) *flagDef {
	for i := range flagDefs {
		if flagDefs[i].shorthand != "" && flagDefs[i].shorthand == c {
			return &flagDefs[i]
		}
	}
	return nil
}

func flagDisplayName(d *flagDef) string {
	if d.shorthand != "" {
		return "-" + d.shorthand + ", --" + d.name
	}
	return "--" + d.name
}

// parseError is the error that parsing a raw value of the flag's type gives.
func parseError(d *flagDef, v string) error {
	var err error
	switch d.kind {
	case kindBool:
		_, err = strconv.ParseBool(v)
	case kindInt:
		_, err = strconv.ParseInt(v, 0, 64)
	case kindDuration:
		_, err = time.ParseDuration(v)
	}
	return err
}

// checkValue validates a raw value the way pflag would when the flag is set.
func checkValue(d *flagDef, v string) error {
	if err := parseError(d, v); err != nil {
		return fmt.Errorf("invalid argument %q for %q flag: %v", v, flagDisplayName(d), err)
	}
	return nil
}

func (fv *flagValues) add(d *flagDef, v string) error {
	if err := checkValue(d, v); err != nil {
		return err
	}
	fv.set[d.name] = true
	fv.values[d.name] = append(fv.values[d.name], v)
	return nil
}

func parseArgs(args []string) (*flagValues, []string, error) {
	fv := &flagValues{set: map[string]bool{}, values: map[string][]string{}}
	var positional []string
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		switch {
		case a == "--":
			positional = append(positional, args...)
			args = nil
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			d := findLong(name)
			if d == nil {
				return nil, nil, fmt.Errorf("unknown flag: --%s", name)
			}
			if !hasValue {
				if d.kind == kindBool {
					value = "true"
				} else if len(args) > 0 {
					value = args[0]
					args = args[1:]
				} else {
					return nil, nil, fmt.Errorf("flag needs an argument: --%s", name)
				}
			}
			if err := fv.add(d, value); err != nil {
				return nil, nil, err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			shorthands := a[1:]
			for len(shorthands) > 0 {
				c := shorthands[:1]
				d := findShort(c)
				if d == nil {
					return nil, nil, fmt.Errorf("unknown shorthand flag: '%s' in -%s", c, a[1:])
				}
				rest := shorthands[1:]
				var value string
				switch {
				case strings.HasPrefix(rest, "="):
					value = rest[1:]
					rest = ""
				case d.kind == kindBool:
					value = "true"
				case rest != "":
					value = rest
					rest = ""
				case len(args) > 0:
					value = args[0]
					args = args[1:]
				default:
					return nil, nil, fmt.Errorf("flag needs an argument: '%s' in -%s", c, a[1:])
				}
				if err := fv.add(d, value); err != nil {
					return nil, nil, err
				}
				shorthands = rest
			}
		default:
			positional = append(positional, a)
		}
	}
	return fv, positional, nil
}

func envName(flag string) string {
	return "BATON_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func parseOptions(args []string, getenv func(string) string) (*options, error) {
	fv, positional, err := parseArgs(args)
	if err != nil {
		return nil, err
	}
	if fv.set["help"] {
		if b, _ := strconv.ParseBool(last(fv.values["help"])); b {
			return nil, helpRequested{}
		}
	}
	if len(positional) > 0 {
		return nil, fmt.Errorf("unknown command %q for %q", positional[0], commandName)
	}

	// value returns the flag's value: command line first, then BATON_<NAME>
	// (an empty variable counts as unset, like viper), then the default.
	var envErr error
	value := func(name string) []string {
		if fv.set[name] {
			return fv.values[name]
		}
		d := findLong(name)
		if env := getenv(envName(name)); env != "" {
			if err := parseError(d, env); err != nil && envErr == nil {
				envErr = invalid("invalid value %q in %s: %v", env, envName(name), err)
			}
			return []string{env}
		}
		return []string{d.def}
	}
	str := func(name string) string { return last(value(name)) }
	boolean := func(name string) bool {
		b, _ := strconv.ParseBool(str(name))
		return b
	}
	integer := func(name string) int {
		n, _ := strconv.ParseInt(str(name), 0, 64)
		return int(n)
	}

	o := &options{
		file:          str("file"),
		dbFile:        str("db-file"),
		initDB:        boolean("init-db"),
		users:         integer("users"),
		logFormat:     strings.ToLower(str("log-format")),
		logLevel:      strings.ToLower(str("log-level")),
		storageEngine: strings.ToLower(str("storage-engine")),
		c1zTempDir:    str("c1z-temp-dir"),
		ignoreSigint:  boolean("ignore-sigint"),
		failCode:      integer("fail-code"),
		failMessage:   str("fail-message"),
		legacySchema:  boolean("legacy-schema"),
		clientID:      str("client-id"),
	}
	o.clientIDFromFlag = fv.set["client-id"]
	o.delay, _ = time.ParseDuration(str("delay"))
	for _, v := range value("skip-anomaly-type") {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				o.skipAnomalyTypes = append(o.skipAnomalyTypes, part)
			}
		}
	}
	if envErr != nil {
		return nil, envErr
	}

	if o.file == "" {
		return nil, invalid("--file must not be empty")
	}
	if o.users < 0 {
		return nil, invalid("--users must be >= 0, got %d", o.users)
	}
	if o.failCode < 0 || o.failCode > 255 {
		return nil, invalid("--fail-code must be between 0 and 255, got %d", o.failCode)
	}
	if o.delay < 0 {
		return nil, invalid("--delay must not be negative, got %s", o.delay)
	}
	switch o.storageEngine {
	case "sqlite", "pebble":
	default:
		return nil, invalid("unsupported storage engine %q (want sqlite or pebble)", o.storageEngine)
	}
	if o.c1zTempDir == "" {
		o.c1zTempDir = os.TempDir()
	}
	return o, nil
}

func last(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

func usageText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fake-baton-demo: a FAKE standing in for %s (one-shot sync only)\n\n", commandName)
	fmt.Fprintf(&b, "Usage:\n  %s [flags]\n\nFlags:\n", commandName)
	for _, d := range flagDefs {
		name := "    --" + d.name
		if d.shorthand != "" {
			name = "-" + d.shorthand + ", --" + d.name
		}
		switch d.kind {
		case kindString:
			name += " string"
		case kindInt:
			name += " int"
		case kindDuration:
			name += " duration"
		case kindStringSlice:
			name += " strings"
		}
		def := ""
		switch {
		case d.kind == kindString && d.def != "":
			def = fmt.Sprintf(" (default %q)", d.def)
		case (d.kind == kindInt || d.kind == kindDuration) && d.def != "0" && d.def != "0s":
			def = " (default " + d.def + ")"
		}
		env := ""
		if d.name != "help" {
			env = " [$" + envName(d.name) + "]"
		}
		fmt.Fprintf(&b, "  %-32s %s%s%s\n", name, d.usage, def, env)
	}
	return b.String()
}
