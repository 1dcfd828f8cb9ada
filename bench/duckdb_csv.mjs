// duckdb_csv.mjs PARQUET CSV QUOTED -- a Parquet file written out as CSV with
// a header by DuckDB's COPY; QUOTED 1: every field quoted (FORCE_QUOTE *).
import { DuckDBInstance } from '@duckdb/node-api';
const [src, dst, quoted] = process.argv.slice(2);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`COPY (SELECT * FROM read_parquet(${q(src)})) TO ${q(dst)} ` +
              `(FORMAT csv, HEADER${quoted === '1' ? ', FORCE_QUOTE *' : ''})`);
