import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Timing tests share two cores with the simulator: run files one at a time
    // so one file's load never shows up as another file's latency.
    fileParallelism: false,
  },
});
