import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-engine suite needs llama-server built: `npm run test:engine` runs it on its own.
    exclude: [...configDefaults.exclude, 'test/engine/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Timing tests share two cores with the simulator: run files one at a time
    // so one file's load never shows up as another file's latency.
    fileParallelism: false,
  },
});
