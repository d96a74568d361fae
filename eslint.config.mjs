// One lint config for the whole repository. Import direction is enforced here:
// domain ← store ← commands ← api ← server; client imports only contracts; cli imports client
// (and store/auth for the offline admin commands).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Everything under src/api except the wire contracts (src/api/contracts), which every layer may use.
const API_EDGE = [
  "**/api/app*",
  "**/api/http*",
  "**/api/errors*",
  "**/api/wire*",
  "**/api/update-mask*",
  "**/api/routes/**",
];

const layer = (files, forbidden, why) => ({
  files,
  ignores: ["**/*.test.ts"],
  rules: {
    "no-restricted-imports": ["error", { patterns: [{ group: forbidden, message: why }] }],
  },
});

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      ".syncplane/**",
      "coverage/**",
      "test/interop/.venv/**",
      "test/interop/bin/**",
      // generated from proto/ by `npm run proto`
      "src/gen/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        Buffer: "readonly",
        AbortController: "readonly",
        fetch: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        structuredClone: "readonly",
        queueMicrotask: "readonly",
        setImmediate: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration in src/config/ only." },
      ],
    },
  },
  layer(
    ["src/domain/**/*.ts"],
    [
      "**/store/**",
      "**/commands/**",
      "**/api/**",
      "**/auth/**",
      "**/cli/**",
      "**/client/**",
      "**/server*",
      "node:*",
      "better-sqlite3",
      "fastify",
    ],
    "src/domain holds pure rules: no IO, no outer layers.",
  ),
  layer(
    ["src/store/**/*.ts"],
    ["**/commands/**", "**/api/**", "**/cli/**", "**/client/**", "**/server*", "fastify"],
    "the store sits under commands and the API.",
  ),
  layer(
    ["src/engine/**/*.ts"],
    [...API_EDGE, "**/cli/**", "**/client/**", "**/server*", "fastify"],
    "the engine runs below the HTTP edge.",
  ),
  layer(
    ["src/connectors/**/*.ts"],
    [
      "**/store/**",
      "**/commands/**",
      ...API_EDGE,
      "**/cli/**",
      "**/client/**",
      "**/server*",
      "fastify",
    ],
    "connector runners know the domain only; the engine stores what they read.",
  ),
  layer(
    ["src/commands/**/*.ts", "src/auth/**/*.ts"],
    [...API_EDGE, "**/cli/**", "**/client/**", "**/server*", "fastify"],
    "commands and auth know nothing of HTTP (wire contracts excepted).",
  ),
  layer(
    ["src/client/**/*.ts"],
    [
      "**/store/**",
      "**/commands/**",
      "**/auth/**",
      "**/cli/**",
      "**/server*",
      "**/api/*",
      "!**/api/contracts",
      "**/domain/**",
      "fastify",
      "better-sqlite3",
    ],
    "the client SDK imports only the wire contracts.",
  ),
  layer(
    ["src/cli/**/*.ts"],
    [...API_EDGE, "**/commands/**", "fastify"],
    "the CLI talks to the server through the client (offline admin commands use store and auth).",
  ),
  {
    files: [
      "src/config/**/*.ts",
      "test/**/*.ts",
      "bench/**/*.ts",
      "scripts/**/*.mjs",
      "**/*.test.ts",
    ],
    rules: { "no-restricted-properties": "off" },
  },
);
