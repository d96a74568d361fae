#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (built by `npm install` through the
// `prepare` script, or by `npm run build`).
import { main } from "../dist/cli/main.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`syncplane: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
