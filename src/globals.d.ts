/** True in the test build (vitest.config.ts), false in the published bundles (scripts/build.mjs): test metadata is dropped from them. */
declare const __TESTS__: boolean;
