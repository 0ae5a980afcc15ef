import { defineConfig } from 'vitest/config';

// Two projects: every test against the release core, and the core-level suites again against the
// debug build (asserts on), whose failures name the assertion instead of trapping.
export default defineConfig({
  define: { __TESTS__: 'true' },
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    projects: [
      { extends: true, test: { name: 'release', include: ['test/**/*.test.ts'], setupFiles: ['test/setup.ts'] } },
      {
        extends: true,
        test: {
          name: 'debug-core',
          include: ['test/ops.test.ts', 'test/tape.test.ts', 'test/tf-programs.test.ts', 'test/seed.test.ts', 'test/errors.test.ts', 'test/memory.test.ts', 'test/fuzz/**/*.test.ts', 'test/ops-shape.test.ts', 'test/ops-nn.test.ts', 'test/core-structure.test.ts'],
          setupFiles: ['test/setup.ts'],
          env: { GRADTAPE_CORE: 'debug' },
        },
      },
    ],
  },
});
