// ESLint for the TypeScript sources, the tests and the plain .mjs scripts (bench/, scripts/, examples/).
// Not type-aware: a typed lint would type-check src/ and test/ a second time per run, which `npm run
// typecheck` already does once. Formatting is Prettier's (`npm run lint` runs both), so no stylistic rules here.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // Built or installed, and data (fixtures, corpus inputs, example projects, templates): not sources.
    ignores: ["dist/", "coverage/", "node_modules/", "bench/out/", "bench/.vendor/", "plots-out/", "test/fixtures/", "test/**/fixtures/", "test/corpus/files/", "examples/**/*", "!examples/*.mjs", "templates/"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // The escapers (terminal output, Markdown) match control characters on purpose.
      "no-control-regex": "off",
      // A comment may hold a zero-width space on purpose: `**\u200b/` in a doc comment that must not end it.
      "no-irregular-whitespace": ["error", { skipComments: true }],
      // The code writes two side effects as one comma statement (`(sign = -1), i++`), which this rule always
      // reports; tsc already refuses a comma operand without side effects (TS2695).
      "@typescript-eslint/no-unused-expressions": "off",
      // `_`-prefixed names say "unused on purpose" (a callback's leading parameters, a rest sibling that drops keys).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // Webhook payloads and JSON read from fixtures are edited in the tests as loose objects.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // The invisible-character class lists combining and joiner code points one by one, on purpose.
    files: ["src/report/escape.ts"],
    rules: { "no-misleading-character-class": "off" },
  },
);
