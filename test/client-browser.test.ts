// The client's main entry (src/client/index.ts: package "." and "./client") runs in a browser.
// Two independent proofs: a walk of its import graph that names any module needing Node (a node:
// or builtin import, Buffer, require, an unguarded process), and an esbuild bundle for the
// browser platform, which fails on a Node builtin it cannot resolve. Each is also run against the
// Node-only entry (src/client/node.ts), so a check that passes vacuously would show here.

import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { build, type BuildFailure, type BuildOptions } from "esbuild";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = join(ROOT, "src/client/index.ts");
const NODE_ENTRY = join(ROOT, "src/client/node.ts");

// Bare names too ("fs", "fs/promises"): a bundler resolves them to Node's modules or not at all.
const NODE_BUILTINS = new Set(builtinModules);
// Globals Node defines and browsers do not (process is handled apart: a guarded read is fine).
const NODE_GLOBALS = new Set(["Buffer", "__dirname", "__filename", "setImmediate"]);

interface Scan {
  /** "file:line what", one per use of something only Node has. */
  readonly findings: string[];
  /** Relative specifiers of runtime imports (type-only imports load nothing and are skipped). */
  readonly relativeImports: string[];
}

/** What one module's source imports at runtime and which Node-only things it uses. */
function scanSource(file: string, text: string): Scan {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const findings: string[] = [];
  const relativeImports: string[] = [];
  const at = (node: ts.Node) =>
    `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;

  const specifier = (node: ts.Node, name: string) => {
    if (name.startsWith("node:")) findings.push(`${at(node)} imports "${name}"`);
    else if (NODE_BUILTINS.has(name))
      findings.push(`${at(node)} imports the Node builtin "${name}"`);
    else if (name.startsWith(".")) relativeImports.push(name);
  };

  // `typeof process` itself, or a read inside the branch such a test guards.
  const guarded = (node: ts.Node): boolean => {
    if (ts.isTypeOfExpression(node.parent)) return true;
    const mentionsGuard = (test: ts.Node) => /\btypeof\s+process\b/.test(test.getText(source));
    for (let child = node, up = node.parent; up; child = up, up = up.parent) {
      if (ts.isIfStatement(up) && child === up.thenStatement && mentionsGuard(up.expression))
        return true;
      if (ts.isConditionalExpression(up) && child === up.whenTrue && mentionsGuard(up.condition))
        return true;
      if (
        ts.isBinaryExpression(up) &&
        up.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken &&
        child === up.right &&
        mentionsGuard(up.left)
      )
        return true;
    }
    return false;
  };

  // An identifier naming a property or member rather than the global (`x.Buffer`, `{ process: 1 }`).
  const isMemberName = (node: ts.Identifier): boolean => {
    const parent = node.parent;
    return (
      ((ts.isPropertyAccessExpression(parent) ||
        ts.isPropertyAssignment(parent) ||
        ts.isPropertySignature(parent) ||
        ts.isPropertyDeclaration(parent) ||
        ts.isMethodDeclaration(parent)) &&
        parent.name === node) ||
      (ts.isQualifiedName(parent) && parent.right === node)
    );
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      // `import type` is erased; `import { type X }` is kept (verbatimModuleSyntax) and loads.
      if (!node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
        specifier(node, node.moduleSpecifier.text);
      return;
    }
    if (ts.isExportDeclaration(node)) {
      if (!node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
        specifier(node, node.moduleSpecifier.text);
      return;
    }
    if (ts.isCallExpression(node)) {
      const [argument] = node.arguments;
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword && argument) {
        if (ts.isStringLiteral(argument)) specifier(node, argument.text);
        else findings.push(`${at(node)} imports a computed specifier (cannot be checked)`);
      } else if (ts.isIdentifier(node.expression) && node.expression.text === "require") {
        findings.push(`${at(node)} calls require()`);
      }
    }
    if (ts.isIdentifier(node) && !isMemberName(node)) {
      if (NODE_GLOBALS.has(node.text)) findings.push(`${at(node)} uses ${node.text}`);
      else if (node.text === "process" && !guarded(node))
        findings.push(`${at(node)} uses process without a typeof process guard`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { findings, relativeImports };
}

/** `./x.js` from `file` → the .ts source the compiler reads for it. */
function resolveSource(file: string, spec: string): string {
  const target = resolve(dirname(file), spec);
  const candidates = target.endsWith(".js")
    ? [`${target.slice(0, -3)}.ts`, target]
    : [target, `${target}.ts`, join(target, "index.ts")];
  const found = candidates.find(
    (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
  );
  if (!found) throw new Error(`${relative(ROOT, file)}: cannot resolve "${spec}"`);
  return found;
}

/** Every module reachable from `entry` through relative runtime imports, and their findings. */
function walk(entry: string): { modules: string[]; findings: string[] } {
  const queue = [entry];
  const seen = new Set(queue);
  const findings: string[] = [];
  // The loop also visits what is pushed while it runs.
  for (const file of queue) {
    const scan = scanSource(relative(ROOT, file), readFileSync(file, "utf8"));
    findings.push(...scan.findings);
    for (const spec of scan.relativeImports) {
      const next = resolveSource(file, spec);
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return { modules: queue.map((file) => relative(ROOT, file)), findings };
}

const browserBundle = (entry: string) =>
  build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  } satisfies BuildOptions);

describe("the client's main entry in a browser", () => {
  it("imports nothing that needs Node, directly or through its imports", () => {
    const { modules, findings } = walk(ENTRY);
    assert.deepEqual(findings, []);
    // The walk went through the modules the client is made of (a broken resolver passes vacuously).
    for (const module of [
      "src/client/errors.ts",
      "src/client/network.ts",
      "src/client/token-source.ts",
      "src/api/contracts/credentials.ts",
    ]) {
      assert.ok(modules.includes(module), `${module} not reached from index.ts`);
    }
    assert.ok(!modules.includes("src/client/download.ts"));
  });

  it("the walk names what needs Node: the Node entry's download, and each rule", () => {
    const { findings } = walk(NODE_ENTRY);
    assert.ok(
      findings.some((f) => /^src\/client\/download\.ts:\d+ imports "node:fs"$/.test(f)),
      String(findings),
    );
    assert.ok(findings.some((finding) => finding.endsWith("uses Buffer")));

    const probe = scanSource(
      "probe.ts",
      [
        'import type { Stats } from "node:fs";',
        'export type * from "node:stream";',
        'import { readFile } from "fs/promises";',
        'const a = typeof process !== "undefined" ? process.env.A : undefined;',
        "const b = process.env.B;",
        'const c = Buffer.from("x");',
        'const d = require("os");',
        'if (typeof process === "object" && process.versions) console.log(a, b, c, d);',
        'const e = { process: 1, Buffer: 2 }; const f = await import("node:crypto");',
      ].join("\n"),
    );
    assert.deepEqual(probe.findings, [
      'probe.ts:3 imports the Node builtin "fs/promises"',
      "probe.ts:5 uses process without a typeof process guard",
      "probe.ts:6 uses Buffer",
      "probe.ts:7 calls require()",
      'probe.ts:9 imports "node:crypto"',
    ]);
  });

  it("bundles with esbuild for the browser platform, with no node: specifier in it", async () => {
    const result = await browserBundle(ENTRY);
    assert.deepEqual(result.errors, []);
    const [bundle] = result.outputFiles;
    assert.ok(bundle, "esbuild wrote no bundle");
    // Quoted where found (the assertion would otherwise print the whole bundle).
    const around = (match: RegExpExecArray | null) =>
      match ? bundle.text.slice(Math.max(0, match.index - 200), match.index + 100) : null;
    assert.equal(around(/["'`]node:/.exec(bundle.text)), null);
    // Nothing in it asks for CommonJS require (esbuild's shim for a require it could not bundle).
    assert.equal(around(/\b__require\b/.exec(bundle.text)), null);
    assert.ok(/\bSyncplane = class\b/.test(bundle.text), "the bundle has no Syncplane class");
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.includes("src/client/token-source.ts"), String(inputs));
    assert.ok(
      inputs.some((input) => input.startsWith("node_modules/jose/")),
      String(inputs),
    );
  });

  it("the Node entry does not bundle for the browser (so the check above can fail)", async () => {
    await assert.rejects(browserBundle(NODE_ENTRY), (error: BuildFailure) =>
      error.errors.some((message) => message.text.includes('"node:fs"')),
    );
  });
});
