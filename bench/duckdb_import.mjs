// duckdb_import.mjs CSV DBFILE THREADS -- import a CSV into a DuckDB database
// file with CREATE TABLE AS read_csv, print the seconds it took.
import { DuckDBInstance } from '@duckdb/node-api';
import { rmSync } from 'node:fs';
const [csv, db, threads] = process.argv.slice(2);
rmSync(db, { force: true });
rmSync(db + '.wal', { force: true });
const inst = await DuckDBInstance.create(db, { threads: String(threads) });
const con = await inst.connect();
const t0 = process.hrtime.bigint();
await con.run(`CREATE TABLE t AS SELECT * FROM read_csv('${csv.replaceAll("'", "''")}')`);
await con.run('CHECKPOINT');
const t1 = process.hrtime.bigint();
const r = await con.runAndReadAll('SELECT count(*) FROM t');
console.log(JSON.stringify({ seconds: Number(t1 - t0) / 1e9, rows: Number(r.getRows()[0][0]) }));
con.closeSync?.();
