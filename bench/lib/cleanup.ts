// Cleanup that also runs when a benchmark fails or is interrupted: each task registered with
// atExit runs once, synchronously, when the process exits — normally, after an error, or on
// SIGINT / SIGTERM / SIGHUP (which end the process here). Tasks undo what a benchmark started:
// child processes it spawned (signalled by their own pid), temporary directories it made.

const tasks = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const task of [...tasks].reverse()) {
    tasks.delete(task);
    try {
      task();
    } catch {
      // best effort: the next task still runs
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", runAll);
  const signals = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
  for (const [signal, number] of Object.entries(signals)) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping, cleaning up`);
      process.exit(128 + number);
    });
  }
}

/** Registers `task` to run at exit; the returned function runs it now (once) instead. */
export function atExit(task: () => void): () => void {
  install();
  tasks.add(task);
  return () => {
    if (!tasks.delete(task)) return;
    task();
  };
}
