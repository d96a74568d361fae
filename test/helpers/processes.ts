// syncplane processes for tests: `serve` with chosen roles, started from the sources.

import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

export function serveProcess(dataDir: string, ...args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      join(ROOT, "src/cli/main.ts"),
      "serve",
      "--data-dir",
      dataDir,
      ...args,
    ],
    { stdio: "ignore" },
  );
}

/** A YAML inventory big enough that reading it takes a second or more. */
export function slowInventory(path: string, users: number): void {
  const lines = ["resourceTypes:", "  - id: user", "  - id: group", "resources:"];
  for (let i = 0; i < users; i++) lines.push(`  - {resourceType: user, id: u${i}}`);
  lines.push("  - {resourceType: group, id: g}", "entitlements: []", "grants: []");
  writeFileSync(path, `${lines.join("\n")}\n`);
}
