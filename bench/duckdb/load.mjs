// node load.mjs DB_FILE DATA_DIR
// Loads the person, auction and bid CSV files the dump pipe wrote (DATA_DIR/{person,auction,bid})
// into DB_FILE. Timestamps become BIGINT epoch milliseconds, so window bounds are integer
// arithmetic. allow_quoted_nulls=false: Sluice writes '' as "" and NULL as an empty field, and by
// default DuckDB would read "" as NULL.
import { duckdb } from './duckdb.mjs';

const [dbFile, dataDir] = process.argv.slice(2);
const csv = (table, columns) => `read_csv('${dataDir}/${table}/part-*', header=false, quote='"',
    escape='"', delim=',', auto_detect=false, strict_mode=true, allow_quoted_nulls=false,
    columns={${columns.map(([n, t]) => `'${n}': '${t}'`).join(', ')}})`;
const select = (columns) =>
  columns.map(([n, t]) => (t === 'TIMESTAMP' ? `epoch_ms("${n}") AS "${n}"` : `"${n}"`)).join(', ');

const tables = {
  person: [['id', 'BIGINT'], ['name', 'VARCHAR'], ['emailAddress', 'VARCHAR'],
    ['creditCard', 'VARCHAR'], ['city', 'VARCHAR'], ['state', 'VARCHAR'],
    ['dateTime', 'TIMESTAMP'], ['extra', 'VARCHAR']],
  auction: [['id', 'BIGINT'], ['itemName', 'VARCHAR'], ['description', 'VARCHAR'],
    ['initialBid', 'BIGINT'], ['reserve', 'BIGINT'], ['dateTime', 'TIMESTAMP'],
    ['expires', 'TIMESTAMP'], ['seller', 'BIGINT'], ['category', 'BIGINT'], ['extra', 'VARCHAR']],
  bid: [['auction', 'BIGINT'], ['bidder', 'BIGINT'], ['price', 'BIGINT'], ['channel', 'VARCHAR'],
    ['url', 'VARCHAR'], ['dateTime', 'TIMESTAMP'], ['extra', 'VARCHAR']],
};

const instance = await duckdb.DuckDBInstance.create(dbFile);
const connection = await instance.connect();
const counts = [];
for (const [table, columns] of Object.entries(tables)) {
  await connection.run(`CREATE OR REPLACE TABLE ${table} AS SELECT ${select(columns)} FROM ${csv(table, columns)}`);
  const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${table}`);
  counts.push(`${table} ${reader.getRows()[0][0]}`);
}
await connection.run('CHECKPOINT');
const span = await connection.runAndReadAll(
  `SELECT min("dateTime")::BIGINT, max("dateTime")::BIGINT FROM (SELECT "dateTime" FROM bid UNION ALL SELECT "dateTime" FROM auction UNION ALL SELECT "dateTime" FROM person)`);
const [lo, hi] = span.getRows()[0];
console.log(`# loaded ${counts.join(', ')}; event times span ${Number(hi) - Number(lo)} ms`);
connection.closeSync?.();
