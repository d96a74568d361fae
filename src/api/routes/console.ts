// The web console's files (console/, built by `npm run build` into dist/console), served at
// /console/: the page itself is public, everything it shows comes through the API with the
// token it signs in for. Hashed assets are cached for good; index.html never is. A strict content
// security policy: scripts, styles and requests only from this server.

import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";

/** <repository>/dist/console, from src/api/routes (tsx) and dist/api/routes (built) alike. */
export const CONSOLE_DIR = fileURLToPath(new URL("../../../dist/console/", import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

async function sendFile(reply: FastifyReply, relative: string): Promise<FastifyReply> {
  const path = normalize(join(CONSOLE_DIR, relative));
  if (!path.startsWith(CONSOLE_DIR.endsWith(sep) ? CONSOLE_DIR : CONSOLE_DIR + sep)) {
    return reply.code(404).type("text/plain").send("not found");
  }
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch {
    if (relative.startsWith("assets/")) return reply.code(404).type("text/plain").send("not found");
    try {
      // A page of the console (its routes live in the URL's hash, but be forgiving).
      body = await readFile(join(CONSOLE_DIR, "index.html"));
      relative = "index.html";
    } catch {
      return reply
        .code(503)
        .type("text/plain; charset=utf-8")
        .send("the console is not built: run `npm run build` (npm install does it)");
    }
  }
  return reply
    .header("content-security-policy", POLICY)
    .header("referrer-policy", "no-referrer")
    .header(
      "cache-control",
      relative.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    )
    .type(TYPES[extname(relative)] ?? "application/octet-stream")
    .send(body);
}

export function consoleRoutes(app: FastifyInstance): void {
  app.get("/console", { schema: { hide: true } }, async (_request, reply) =>
    reply.redirect("/console/"),
  );
  app.get("/console/*", { schema: { hide: true } }, async (request, reply) => {
    const rest = (request.params as { "*": string })["*"] || "index.html";
    let relative: string;
    try {
      relative = decodeURIComponent(rest);
    } catch {
      return reply.code(404).type("text/plain").send("not found");
    }
    return sendFile(reply, relative);
  });
}
