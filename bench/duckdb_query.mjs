// duckdb_query.mjs DBFILE THREADS SQL -- run SQL on a DuckDB database file
// once to warm up, then again; print the second run's seconds and a digest
// of the result (row count and first row) to compare with colstore's; for
// a COPY ... TO, one row, the count of rows written.
import { DuckDBInstance } from '@duckdb/node-api';
const [db, threads, sql] = process.argv.slice(2);
const inst = await DuckDBInstance.create(db, { threads: String(threads), access_mode: 'READ_ONLY' });
const con = await inst.connect();
await con.runAndReadAll(sql);
const t0 = process.hrtime.bigint();
const r = await con.runAndReadAll(sql);
const t1 = process.hrtime.bigint();
const rows = r.getRows();
console.log(JSON.stringify({ seconds: Number(t1 - t0) / 1e9, rows: rows.length,
  first: rows.length ? rows[0].map(String) : [] }));
