// node --expose-gc bench.mjs DB_FILE SQL_FILE RUNS
// One query, one thread, in this (fresh) process: one untimed cold run, then RUNS timed runs of
// `await connection.run(sql)`, which executes the query fully and keeps the whole result in a
// DuckDB materialized result without converting it to JS. The previous result is dropped and
// garbage-collected before the next run. Prints one JSON line: wall and CPU seconds per timed
// run, the cold run, the result's row count and the process's peak RSS.
import fs from 'node:fs';
import { duckdb } from './duckdb.mjs';

const [dbFile, sqlFile, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 3);
const sql = fs.readFileSync(sqlFile, 'utf8');
if (typeof global.gc !== 'function') throw new Error('run node with --expose-gc');

const instance = await duckdb.DuckDBInstance.create(dbFile, { access_mode: 'READ_ONLY', threads: '1' });
const connection = await instance.connect();
await connection.run('SET threads = 1');

async function once() {
  global.gc();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let result = await connection.run(sql);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const rows = result.rowCount;
  result = null;
  global.gc();
  return { wall, cpu: (cpu.user + cpu.system) / 1e6, rows };
}

const cold = await once();
const timed = [];
for (let i = 0; i < runs; i++) timed.push(await once());
console.log(JSON.stringify({
  cold: cold.wall,
  wall: timed.map((r) => r.wall),
  cpu: timed.map((r) => r.cpu),
  rows: cold.rows,
  rss_mb: process.resourceUsage().maxRSS / 1024,
}));
