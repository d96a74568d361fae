// CPU time of other processes (Linux /proc), for benchmarks whose work happens outside their own
// process: a server child, PostgreSQL's backends. Resolution is one clock tick (usually 10 ms)
// per process and reading, so compare totals over runs of seconds, not single requests.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  } catch {
    return 10;
  }
})();

/** utime + stime of `pid`, and of its exited children it has reaped, in ticks; null if gone. */
function ticksOf(pid: number): { ppid: number; own: number; reaped: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Fields after the command name (which may hold spaces): state ppid … utime stime cutime cstime.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const field = (n: number) => Number(fields[n - 3]);
  return { ppid: field(4), own: field(14) + field(15), reaped: field(16) + field(17) };
}

/** CPU (user + system, ms) process `pid` has used so far; null once it is gone. */
export function processCpuMs(pid: number): number | null {
  const stat = ticksOf(pid);
  return stat === null ? null : stat.own * CLOCK_TICK_MS;
}

/**
 * CPU (ms) of `pid` and its children, live and exited — e.g. a PostgreSQL postmaster and its
 * backends (which it reaps as they end).
 */
export function processTreeCpuMs(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = ticksOf(Number(entry));
    if (stat === null) continue;
    if (Number(entry) === pid) ticks += stat.own + stat.reaped;
    else if (stat.ppid === pid) ticks += stat.own;
  }
  return ticks * CLOCK_TICK_MS;
}
