import { run } from './main.js';

await run();
// Keep-alive sockets or timers must not hold the job open once the work is delivered.
process.exit(process.exitCode ?? 0);
