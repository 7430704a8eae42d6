// node compare.mjs DB_FILE SQL_FILE QUERY SLUICE_OUTPUT_DIR
// Compares DuckDB's result of SQL_FILE with what Sluice's QUERY (q1 ... q9) wrote into
// SLUICE_OUTPUT_DIR, as multisets over all columns (EXCEPT ALL in both directions).
// Append-only queries were written as csv; the updating q4 and q9 as changelog-json, whose
// final table is +I/+U minus -U/-D. Timestamps become epoch milliseconds, as in DuckDB's tables.
// Prints one JSON line: row counts and the rows only in DuckDB / only in Sluice.
import fs from 'node:fs';
import { duckdb } from './duckdb.mjs';

const [dbFile, sqlFile, query, outDir] = process.argv.slice(2);
const B = 'BIGINT', V = 'VARCHAR', T = 'TIMESTAMP';
// The sink columns of examples/nexmark/qN.pipe, in order.
const sinks = {
  q1: { format: 'csv', columns: [['auction', B], ['bidder', B], ['price', 'DECIMAL(23, 3)'], ['dateTime', T], ['extra', V]] },
  q2: { format: 'csv', columns: [['auction', B], ['price', B]] },
  q3: { format: 'csv', columns: [['name', V], ['city', V], ['state', V], ['id', B]] },
  q4: { format: 'changelog-json', columns: [['id', B], ['final', B]] },
  q5: { format: 'csv', columns: [['auction', B], ['num', B]] },
  q7: { format: 'csv', columns: [['auction', B], ['bidder', B], ['price', B], ['dateTime', T], ['extra', V]] },
  q8: { format: 'csv', columns: [['id', B], ['name', V], ['stime', T]] },
  q9: { format: 'changelog-json', columns: [['id', B], ['itemName', V], ['description', V],
    ['initialBid', B], ['reserve', B], ['dateTime', T], ['expires', T], ['seller', B], ['category', B],
    ['extra', V], ['auction', B], ['bidder', B], ['price', B], ['bid_dateTime', T], ['bid_extra', V]] },
};
const sink = sinks[query];
if (!sink) throw new Error(`no sink schema for ${query}`);

// Timestamps are read as text and converted, in csv and json alike.
const readType = (t) => (t === T ? V : t);
const spec = (cols) => `{${cols.map(([n, t]) => `'${n}': '${readType(t)}'`).join(', ')}}`;
const project = sink.columns.map(([n, t]) =>
  t === T ? `epoch_ms(CAST("${n}" AS TIMESTAMP)) AS "${n}"` : `"${n}"`).join(', ');
const names = sink.columns.map(([n]) => `"${n}"`).join(', ');
const files = fs.readdirSync(outDir).filter((f) => f.startsWith('part-'));

const instance = await duckdb.DuckDBInstance.create(dbFile, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
const scalar = async (sql) => (await connection.runAndReadAll(sql)).getRows()[0][0];

let negative = 0n;
let changelogRecords = null;
if (files.length === 0) {
  await connection.run(`CREATE TEMP TABLE sluice AS SELECT ${sink.columns.map(([n, t]) =>
    `CAST(NULL AS ${t === T ? B : t}) AS "${n}"`).join(', ')} LIMIT 0`);
} else if (sink.format === 'csv') {
  await connection.run(`CREATE TEMP TABLE sluice AS SELECT ${project} FROM read_csv('${outDir}/part-*',
      header=false, quote='"', escape='"', delim=',', auto_detect=false, strict_mode=true,
      allow_quoted_nulls=false, columns=${spec(sink.columns)})`);
} else {
  await connection.run(`CREATE TEMP TABLE changelog AS SELECT op, ${project} FROM read_json('${outDir}/part-*',
      format='newline_delimited', columns=${spec([['op', V], ...sink.columns])})`);
  changelogRecords = await scalar('SELECT count(*)::BIGINT FROM changelog');
  await connection.run(`CREATE TEMP TABLE folded AS SELECT ${names},
      sum(CASE WHEN op IN ('+I', '+U') THEN 1 ELSE -1 END)::BIGINT AS n FROM changelog GROUP BY ALL`);
  negative = await scalar('SELECT count(*)::BIGINT FROM folded WHERE n < 0');
  await connection.run(`CREATE TEMP TABLE sluice AS SELECT ${names}
      FROM (SELECT *, unnest(range(n)) FROM folded WHERE n > 0)`);
}
const sql = fs.readFileSync(sqlFile, 'utf8').trim().replace(/;$/, '');
await connection.run(`CREATE TEMP TABLE duck AS ${sql}`);
const result = {
  query,
  duckdb_rows: await scalar('SELECT count(*)::BIGINT FROM duck'),
  sluice_rows: await scalar('SELECT count(*)::BIGINT FROM sluice'),
  only_duckdb: await scalar('SELECT count(*)::BIGINT FROM (SELECT * FROM duck EXCEPT ALL SELECT * FROM sluice)'),
  only_sluice: await scalar('SELECT count(*)::BIGINT FROM (SELECT * FROM sluice EXCEPT ALL SELECT * FROM duck)'),
  changelog_records: changelogRecords,
  negative_counts: negative,
};
console.log(JSON.stringify(result, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
