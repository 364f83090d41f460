import { defineConfig } from 'vitest/config';

// `npm run test:engine`: the real-engine suite (test/engine), kept out of `npm test`.
export default defineConfig({
  test: {
    include: ['test/engine/**/*.test.ts'],
    // The first call may build llama-server (setup.sh); the checks themselves are bounded per test.
    testTimeout: 600_000,
    hookTimeout: 70 * 60_000,
    fileParallelism: false,
  },
});
