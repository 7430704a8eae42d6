// Loads @duckdb/node-api from the directory bench/duckdb_ratio.sh installed it into
// (DUCKDB_TOOLS, i.e. BUILD_DIR/bench-tools/duckdb): a benchmark tool, not part of Sluice.
import { createRequire } from 'node:module';
import path from 'node:path';

const tools = process.env.DUCKDB_TOOLS;
if (!tools) throw new Error('DUCKDB_TOOLS is not set (run bench/duckdb_ratio.sh)');
export const duckdb = createRequire(path.join(path.resolve(tools), 'package.json'))('@duckdb/node-api');
