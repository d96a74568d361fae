// Everything bench/queue leaves behind lives under one temp folder (PostgreSQL's data, the nodes'
// data dirs, the inventory file), and every process it starts is written down in it. A normal
// end, an error or a signal runs `cleanUp` (children killed, PostgreSQL stopped, folder removed);
// should the benchmark itself be killed outright (SIGKILL), a small watchdog shell does the same
// once it sees the benchmark's pid gone. It only kills processes whose command line names the
// folder, so a reused pid is never hit.

import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const WATCHDOG = `
while kill -0 "$1" 2>/dev/null; do sleep 1; done
names() { tr '\\0' ' ' < "/proc/$1/cmdline" 2>/dev/null; }
if [ -f "$2/pids" ]; then
  while read -r pid; do
    if names "$pid" | grep -qF -- "$2"; then kill -KILL "$pid" 2>/dev/null; fi
  done < "$2/pids"
fi
if [ -f "$2/postgres.pid" ]; then
  pid=$(cat "$2/postgres.pid")
  if names "$pid" | grep -qF -- "$2"; then
    kill -INT "$pid"
    n=0; while kill -0 "$pid" 2>/dev/null && [ $n -lt 60 ]; do sleep 0.5; n=$((n+1)); done
  fi
fi
rm -rf -- "$2"
`;

type Step = () => Promise<void> | void;

export class Cleanup {
  /** The folder every file of the run goes in (mode 755: PostgreSQL's own user enters it). */
  readonly root: string;
  private readonly children = new Set<ChildProcess>();
  private readonly steps: Step[] = [];
  private readonly watchdog: ChildProcess;
  private done: Promise<void> | null = null;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), "syncplane-bench-queue-"));
    chmodSync(this.root, 0o755);
    this.watchdog = spawn("sh", ["-c", WATCHDOG, "watchdog", String(process.pid), this.root], {
      detached: true,
      stdio: "ignore",
    });
    this.watchdog.unref();
  }

  /** Writes `child` down; it is killed at the end if it still runs. */
  track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    if (child.pid !== undefined) appendFileSync(join(this.root, "pids"), `${child.pid}\n`);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** PostgreSQL's postmaster, for the watchdog. */
  postgresPid(pid: number): void {
    writeFileSync(join(this.root, "postgres.pid"), String(pid));
  }

  /** Runs at the end, last added first. */
  add(step: Step): void {
    this.steps.push(step);
  }

  /** SIGKILLs every child still running (synchronous: safe in a signal handler). */
  killChildren(): void {
    for (const child of this.children) child.kill("SIGKILL");
  }

  /** Kills children, runs the steps, removes the folder and ends the watchdog; once. */
  run(): Promise<void> {
    this.done ??= (async () => {
      this.killChildren();
      for (const step of this.steps.reverse()) {
        try {
          await step();
        } catch (error) {
          console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      rmSync(this.root, { recursive: true, force: true });
      this.watchdog.kill("SIGTERM");
    })();
    return this.done;
  }
}
