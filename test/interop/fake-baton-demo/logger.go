package main

// A tiny zap look-alike. JSON lines are shaped like zap's production encoder:
//   {"level":"info","ts":1737450000.123456,"logger":"baton-demo","msg":"...",<fields>}
// Console lines are tab-separated: time, level, logger, message, JSON fields.

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

type level int

const (
	levelDebug level = iota
	levelInfo
	levelWarn
	levelError
)

var levelNames = map[level]string{levelDebug: "debug", levelInfo: "info", levelWarn: "warn", levelError: "error"}

type field struct {
	key   string
	value any
}

type logger struct {
	mu      sync.Mutex
	out     io.Writer
	console bool
	min     level
}

func newLogger(out io.Writer, format, lvl string) (*logger, error) {
	l := &logger{out: out}
	switch format {
	case "json":
	case "console":
		l.console = true
	default:
		return nil, fmt.Errorf("unsupported log format %q (want json or console)", format)
	}
	switch lvl {
	case "debug":
		l.min = levelDebug
	case "info", "":
		l.min = levelInfo
	case "warn", "warning":
		l.min = levelWarn
	case "error":
		l.min = levelError
	default:
		return nil, fmt.Errorf("unrecognized log level %q (want debug, info, warn or error)", lvl)
	}
	return l, nil
}

func (l *logger) Debug(msg string, fields ...field) { l.log(levelDebug, msg, fields) }
func (l *logger) Info(msg string, fields ...field)  { l.log(levelInfo, msg, fields) }
func (l *logger) Warn(msg string, fields ...field)  { l.log(levelWarn, msg, fields) }
func (l *logger) Error(msg string, fields ...field) { l.log(levelError, msg, fields) }

func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(fmt.Sprint(v))
	}
	return string(b)
}

func (l *logger) log(lv level, msg string, fields []field) {
	if lv < l.min {
		return
	}
	now := time.Now()
	var b strings.Builder
	if l.console {
		b.WriteString(now.Format("2006-01-02T15:04:05.000Z0700"))
		b.WriteString("\t" + levelNames[lv] + "\tbaton-demo\t" + msg)
		if len(fields) > 0 {
			b.WriteString("\t{")
			for i, f := range fields {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(jsonValue(f.key) + ": " + jsonValue(f.value))
			}
			b.WriteString("}")
		}
	} else {
		ts := float64(now.UnixNano()) / 1e9
		b.WriteString(`{"level":` + jsonValue(levelNames[lv]))
		b.WriteString(`,"ts":` + strconv.FormatFloat(ts, 'f', -1, 64))
		b.WriteString(`,"logger":"baton-demo","msg":` + jsonValue(msg))
		for _, f := range fields {
			b.WriteString("," + jsonValue(f.key) + ":" + jsonValue(f.value))
		}
		b.WriteString("}")
	}
	b.WriteString("\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.out, b.String())
}
