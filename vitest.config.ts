import { defineConfig } from 'vitest/config';

// Tests run in forked processes (mediasoup workers, ffmpeg and Chromium are real child
// processes). Files run one at a time: the end-to-end files each start a daemon, ffmpeg
// graphs, mediasoup workers and Chromium, which together fill the two cores of the target
// machines, and what they measure in a browser (layers chosen by bandwidth estimates, lip
// sync) must not depend on which other file happens to run beside them. Inside a file, tests
// wait on events, never on sleeps.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
