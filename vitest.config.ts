import { defineConfig } from 'vitest/config';

// Tests run in forked processes (mediasoup workers, ffmpeg and Chromium are real child
// processes). Two workers match the two cores of the target machines; heavy end-to-end files
// wait on events, never on sleeps, so they stay correct when the machine is loaded.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
