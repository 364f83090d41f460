import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-engine suite needs llama-server built: `npm run test:engine` runs it on its own.
    exclude: [...configDefaults.exclude, 'test/engine/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two files at a time: most of the suite waits on loopback servers and short phases, so this
    // halves its wall time on CI's 2 cores (389 s → 212 s). Timing is judged on virtual clocks and
    // the few wall-clock smoke checks have bounds a busy machine meets (scripts/busy-suite.sh checks
    // the suite beside two busy loops), so another file's load never fails a test.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
