// fake-baton-demo is a FAKE. It stands in for the real baton-demo connector
// (github.com/conductorone/baton-demo at commit 6090134, built on baton-sdk
// v0.2.51) because the real one cannot be installed on this machine: the Go
// module proxy answers 403 for every github.com/conductorone/* module. It was
// written from the facts in shared/reference/baton.md, not from baton's code.
//
// It reproduces, in one-shot mode only:
//   - the command line: cobra/pflag-style flags (`--flag value`,
//     `--flag=value`, `-f value`), viper-style BATON_<FLAG> environment
//     fallbacks, and cobra's "Error: unknown flag: --x" /
//     "Error: flag needs an argument: --x" failures with exit code 1;
//   - baton-demo's "upstream": a plain SQLite file (--db-file) that --init-db
//     seeds with INSERT ... ON CONFLICT DO NOTHING and that tests may edit
//     directly (schema in upstream.go and test/interop/README.md); a missing
//     file syncs to zero resources;
//   - zap-like JSON (or console) log lines on stderr;
//   - the c1z v1 output: "C1ZF\x00" + one zstd frame (klauspost/compress,
//     SpeedFastest, streamed, so no content size in the frame header) of a
//     SQLite database with the current baton-sdk v1 tables (or the old
//     v0.2.51 shape with --legacy-schema), protobuf blobs of
//     c1.connector.v2 messages, one finished 'full' sync run with a KSUID id;
//     written to <file>.tmp and renamed onto <file>;
//   - --storage-engine pebble (or BATON_STORAGE_ENGINE=pebble): a file that
//     starts with the v3 magic "C1Z3\x00", which syncplane must reject;
//   - SIGINT cancels the sync ("context canceled", exit 1, no file written);
//     SIGTERM kills the process (Go default);
//   - BATON_CLIENT_ID (or --client-id) set: refuses to run, because it would
//     switch a real connector into service mode.
//
// Test-only knobs that the real baton-demo does not have: --users,
// --skip-anomaly-type, --delay, --ignore-sigint, --fail-code/--fail-message,
// --legacy-schema. See test/interop/README.md for everything that differs.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	opts, err := parseOptions(args, os.Getenv)
	if err != nil {
		var help helpRequested
		if errors.As(err, &help) {
			fmt.Fprint(os.Stdout, usageText())
			return 0
		}
		var bad invalidOptions
		if errors.As(err, &bad) {
			fmt.Fprintf(os.Stderr, "fake-baton-demo: %s\n", bad.msg)
			return 1
		}
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		fmt.Fprintf(os.Stderr, "Run '%s --help' for usage.\n", commandName)
		return 1
	}

	if opts.clientID != "" {
		source := "BATON_CLIENT_ID"
		if opts.clientIDFromFlag {
			source = "--client-id"
		}
		fmt.Fprintf(os.Stderr, "fake-baton-demo: %s is set, which would switch a baton connector to service mode; this fake only runs one-shot\n", source)
		return 1
	}

	if opts.failCode != 0 {
		fmt.Fprintln(os.Stderr, opts.failMessage)
		return opts.failCode
	}

	log, err := newLogger(os.Stderr, opts.logFormat, opts.logLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// SIGINT cancels the run context like baton's runner does. SIGTERM is left
	// alone so that Go's default behaviour (the process dies) applies.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT)
	go func() {
		for range sigs {
			if opts.ignoreSigint {
				log.Warn("received SIGINT; ignoring it (--ignore-sigint)")
				continue
			}
			log.Info("received SIGINT; canceling the sync")
			cancel()
		}
	}()

	err = syncOnce(ctx, log, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			log.Error("sync canceled", field{"error", context.Canceled.Error()})
			fmt.Fprintln(os.Stderr, context.Canceled.Error())
			return 1
		}
		log.Error("sync failed", field{"error", err.Error()})
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log.Info("one-shot mode enabled. Exiting.")
	return 0
}
