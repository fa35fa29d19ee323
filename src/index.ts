import { cancellation } from './action/cancellation.js';
import { coreIO } from './action/core-io.js';
import { run } from './action/main.js';

const io = coreIO(process.env);
const cancel = cancellation(io.log);
process.on('SIGINT', () => cancel.cancel('SIGINT'));
process.on('SIGTERM', () => cancel.cancel('SIGTERM'));

await run(process.env, io, cancel.signal);
// Keep-alive sockets or timers must not hold the job open once the work is delivered.
process.exit(process.exitCode ?? 0);
