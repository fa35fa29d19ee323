// One share of the overshoot fuzz: runs seeds [from, to] and prints the results as JSON (the benchmark splits
// the 1,000 runs over the machine's cores).
import { runSeeds } from '../test/fuzz/capped-loop-fuzz.js';

const [from, to] = process.argv.slice(2).map(Number);
const results = await runSeeds(from, to);
process.stdout.write(JSON.stringify(results));
