// ESLint 9 flat config: typescript-eslint's recommended rules, a few rules that catch real bugs in
// this code base, and the promise rules that need types, on the product code only (see
// docs/decisions.md, "A formatter and a linter in CI"). Prettier owns layout: no style rules here.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Build output, installed packages, ajv's generated validators, runtime and scratch folders.
  { ignores: ['dist/', 'node_modules/', 'core/generated/', 'data/', 'scratch/', 'artifacts/', '.tap/'] },
  tseslint.configs.recommended,
  {
    rules: {
      // Omitting fields by destructuring into a rest object (`{ status: _a, ...rest }`) is the
      // code's way of copying a record without some fields; unused callback parameters keep the
      // full signature (tap's `t`, a handler's `req`) readable.
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', ignoreRestSiblings: true }],
      // Bugs the type checker does not see.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-constant-binary-expression': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-cond-assign': 'error',
      'no-fallthrough': 'error',
      'no-useless-catch': 'error',
    },
  },
  {
    // A promise nobody awaits loses its rejection: with types, for the product code. Not test/:
    // tap's `t.test(...)` returns a promise that tap itself awaits, by design, hundreds of times.
    files: ['**/*.ts'],
    ignores: ['test/**'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // A worker thread ended between the making of a zlib handle and its init aborts the whole
    // process in Node 20: zlib calls go through git/zlib.ts, which a pool closes before it ends a
    // thread. smartHttp.ts gunzips request bodies in the main thread, which nobody ends.
    files: ['**/*.ts'],
    ignores: ['test/**', 'bench/**', 'git/zlib.ts', 'server/smartHttp.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['node:zlib', 'zlib'].map((name) => ({
            name,
            message: 'use git/zlib.ts: safe in a worker thread that is ended mid-call',
          })),
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['CompressionStream', 'DecompressionStream'].map((name) => ({
          name,
          message: "zlib handles that a thread's end can cut in two: use git/zlib.ts",
        })),
      ],
    },
  },
  {
    // Tests read untyped JSON bodies and browser globals; `any` there is deliberate.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // @types/fhir declares a global namespace and the `fhir` package (the validator) has no types
    // of its own: the reference is how this test sees both.
    files: ['test/core/fhir.test.ts'],
    rules: { '@typescript-eslint/triple-slash-reference': 'off' },
  },
);
