// check.mjs -- read an exported file with an independent reader and compare
// every value, every column type and every null count with colstore's own
// scan of the same rows.
//
//   node check.mjs READER FILE EXPECTED.jsonl TYPES
//
// READER   duckdb (read_parquet), arrow (apache-arrow tableFromIPC), polars-ipc
//          or polars-parquet (nodejs-polars readIPC / readParquet)
// EXPECTED colstore scan -f jsonl of the same file, columns and --where
// TYPES    name:type,... in colstore's type names (colstore info)
// Prints one "ok" line, or the differences and exits 1.
import fs from 'node:fs';

const [reader, file, expectedPath, typesArg] = process.argv.slice(2);
const cols = typesArg.split(',').map((s) => {
	const i = s.lastIndexOf(':');
	return { name: s.slice(0, i), type: s.slice(i + 1) };
});

// ---- canonical text of a value, so that both sides compare as strings -----
const DAY_MS = 86400000n;
function daysFromCivil(y, m, d) { // as src/parse.c: proleptic Gregorian
	y -= m <= 2 ? 1 : 0;
	const era = Math.floor(y / 400);
	const yoe = y - era * 400;
	const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
	const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
	return era * 146097 + doe - 719468;
}
function dateText(s) { // "YYYY-MM-DD" -> days
	const m = /^(-?\d{4,})-(\d\d)-(\d\d)$/.exec(s);
	if (!m) throw new Error(`bad date ${s}`);
	return String(daysFromCivil(+m[1], +m[2], +m[3]));
}
function tsText(s) { // "YYYY-MM-DDTHH:MM:SS[.ffffff]" -> microseconds
	const m = /^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(s);
	if (!m) throw new Error(`bad timestamp ${s}`);
	const days = BigInt(daysFromCivil(+m[1], +m[2], +m[3]));
	const secs = days * 86400n + BigInt(+m[4] * 3600 + +m[5] * 60 + +m[6]);
	return String(secs * 1000000n + BigInt((m[7] || '').padEnd(6, '0') || '0'));
}
function floatText(v) {
	if (typeof v === 'string') v = v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v);
	v = Number(v);
	return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'nan' : String(v);
}
const isInt = (t) => /^int(8|16|32|64)$/.test(t);
const isFloat = (t) => t === 'float32' || t === 'float64';

// a reader's value (ints, days and microseconds already as integers)
function canon(type, v) {
	if (v === null || v === undefined) return 'null';
	if (isInt(type) || type === 'date' || type === 'timestamp') return String(BigInt(v));
	if (isFloat(type)) return floatText(v);
	if (type === 'bool') return v ? 'true' : 'false';
	return JSON.stringify(String(v));
}

// ---- the expected side: scan's jsonl, numbers kept as their text ----------
function parseLine(line) { // a flat JSON object; numbers as raw text
	const out = [];
	let i = 1;
	const str = () => { // JSON string at i
		let j = i + 1, s = '';
		for (;;) {
			const c = line[j];
			if (c === '"') break;
			if (c === '\\') {
				const e = line[j + 1];
				if (e === 'u') { s += String.fromCharCode(parseInt(line.slice(j + 2, j + 6), 16)); j += 6; continue; }
				s += { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' }[e] ?? e;
				j += 2;
				continue;
			}
			s += c;
			j++;
		}
		i = j + 1;
		return s;
	};
	while (line[i] !== '}') {
		str(); // the key
		i++; // ':'
		if (line[i] === '"') out.push({ s: str() });
		else {
			const m = /^[^,}]+/.exec(line.slice(i));
			out.push({ raw: m[0] });
			i += m[0].length;
		}
		if (line[i] === ',') i++;
	}
	return out;
}
function expectedCanon(type, cell) {
	if (cell.raw === 'null') return 'null';
	if (isInt(type)) return cell.raw;
	if (isFloat(type)) return floatText(cell.s ?? cell.raw);
	if (type === 'bool') return cell.raw;
	if (type === 'date') return dateText(cell.s);
	if (type === 'timestamp') return tsText(cell.s);
	return JSON.stringify(cell.s);
}

const expected = fs.readFileSync(expectedPath, 'utf8').split('\n').filter((l) => l.length)
	.map((l) => parseLine(l).map((cell, k) => expectedCanon(cols[k].type, cell)));

// ---- the readers: rows of canonical text, the type names, the null counts --
const wantType = {
	arrow: { int8: 'Int8', int16: 'Int16', int32: 'Int32', int64: 'Int64', float32: 'Float32',
		float64: 'Float64', bool: 'Bool', date: 'Date32<DAY>', timestamp: 'Timestamp<MICROSECOND>',
		string: /^(Utf8|Dictionary<Uint(8|16|32), Utf8>)$/ },
	polars: { int8: 'Int8', int16: 'Int16', int32: 'Int32', int64: 'Int64', float32: 'Float32',
		float64: 'Float64', bool: 'Bool', date: 'Date', timestamp: /^Datetime\(.*(us|Microseconds).*\)$/i,
		string: /^(String|Utf8|Categorical.*)$/ },
	duckdb: { int8: 'TINYINT', int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT', float32: 'FLOAT',
		float64: 'DOUBLE', bool: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP', string: 'VARCHAR' },
};

async function readArrow() {
	const arrow = await import('apache-arrow');
	const { registerLz4 } = await import('./lz4codec.mjs');
	registerLz4(arrow);
	const t = arrow.tableFromIPC(fs.readFileSync(file));
	const types = t.schema.fields.map((f) => String(f.type));
	const names = t.schema.fields.map((f) => f.name);
	const vecs = cols.map((c) => t.getChild(c.name));
	const nulls = vecs.map((v) => v.nullCount);
	const rows = [];
	for (let i = 0; i < t.numRows; i++) {
		rows.push(cols.map((c, k) => {
			let v = vecs[k].get(i);
			if (v !== null && c.type === 'date') v = BigInt(v instanceof Date ? v.getTime() : v) / DAY_MS;
			if (v !== null && c.type === 'timestamp') v = tsFromArrow(vecs[k], i);
			return canon(c.type, v);
		}));
	}
	return { names, types, nulls, rows, batches: t.batches.length };
}
// microseconds straight from the Int64 storage (get() gives milliseconds)
function tsFromArrow(vec, i) {
	let at = i;
	for (const d of vec.data) {
		if (at < d.length) return d.values[at + d.offset];
		at -= d.length;
	}
	throw new Error('row out of range');
}

async function readPolars(kind) {
	const pl = (await import('nodejs-polars')).default;
	// (nodejs-polars takes a path only when it ends in .ipc: give it the bytes)
	const df = kind === 'ipc' ? pl.readIPC(fs.readFileSync(file)) : pl.readParquet(file);
	const names = df.columns;
	const types = df.dtypes.map((d) => String(d).replace(/^DataType\((.*)\)$/, '$1'));
	const series = cols.map((c) => {
		const s = df.getColumn(c.name);
		// 64-bit integers as text: toArray() would round them to doubles
		if (c.type === 'date') return s.cast(pl.Int32);
		if (c.type === 'timestamp') return s.cast(pl.Int64).cast(pl.Utf8);
		if (c.type === 'int64') return s.cast(pl.Utf8);
		if (c.type === 'string') return s.cast(pl.Utf8);
		return s;
	});
	const nulls = series.map((s) => s.nullCount());
	const arrays = series.map((s) => s.toArray());
	const rows = [];
	for (let i = 0; i < df.height; i++) rows.push(cols.map((c, k) => canon(c.type, arrays[k][i])));
	return { names, types, nulls, rows };
}

async function readDuckdb() {
	const { DuckDBInstance } = await import('@duckdb/node-api');
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const src = `read_parquet('${file.replace(/'/g, "''")}')`;
	const q = (s) => `"${s.replace(/"/g, '""')}"`;
	const desc = (await con.runAndReadAll(`describe select * from ${src}`)).getRowObjectsJS();
	const names = desc.map((d) => d.column_name);
	const types = desc.map((d) => d.column_type);
	const sel = cols.map((c) => c.type === 'date' ? `(${q(c.name)} - DATE '1970-01-01')`
		: c.type === 'timestamp' ? `epoch_us(${q(c.name)})` : q(c.name)).join(', ');
	const data = (await con.runAndReadAll(`select ${sel} from ${src}`)).getRowsJS();
	const rows = data.map((r) => cols.map((c, k) => canon(c.type, r[k])));
	const cnt = cols.map((c) => `count(*) - count(${q(c.name)})`).join(', ');
	const nulls = (await con.runAndReadAll(`select ${cnt} from ${src}`)).getRowsJS()[0].map(Number);
	// the statistics in the file: null counts per column add up; min/max of
	// integers and strings equal those of the rows of each row group
	const meta = (await con.runAndReadAll(
		`select row_group_id, row_group_num_rows, path_in_schema, stats_null_count, stats_min_value,
		        stats_max_value from parquet_metadata('${file.replace(/'/g, "''")}') order by row_group_id, column_id`)).getRowObjectsJS();
	return { names, types, nulls, rows, meta };
}

function checkStats(meta, rows, problems) {
	const statNulls = cols.map(() => 0);
	let first = 0, group = -1, groupRows = 0, checked = 0;
	for (const m of meta) {
		const k = cols.findIndex((c) => c.name === m.path_in_schema);
		if (Number(m.row_group_id) !== group) {
			first += groupRows;
			group = Number(m.row_group_id);
			groupRows = Number(m.row_group_num_rows);
		}
		statNulls[k] += Number(m.stats_null_count);
		const t = cols[k].type;
		if (!isInt(t) && t !== 'string') continue;
		const vals = rows.slice(first, first + groupRows).map((r) => r[k]).filter((v) => v !== 'null');
		if (!vals.length) continue;
		const key = isInt(t) ? (v) => BigInt(v) : (v) => Buffer.from(JSON.parse(v));
		const cmp = isInt(t) ? (a, b) => (a < b ? -1 : a > b ? 1 : 0) : (a, b) => Buffer.compare(a, b);
		const ks = vals.map(key).sort(cmp);
		const lo = isInt(t) ? String(ks[0]) : ks[0].toString();
		const hi = isInt(t) ? String(ks[ks.length - 1]) : ks[ks.length - 1].toString();
		if (String(m.stats_min_value) !== lo || String(m.stats_max_value) !== hi)
			problems.push(`row group ${group} column ${cols[k].name}: statistics min/max ${m.stats_min_value}/${m.stats_max_value}, values ${lo}/${hi}`);
		checked++;
	}
	return { statNulls, checked };
}

const got = reader === 'arrow' ? await readArrow()
	: reader === 'polars-ipc' ? await readPolars('ipc')
	: reader === 'polars-parquet' ? await readPolars('parquet')
	: reader === 'duckdb' ? await readDuckdb() : null;
if (!got) throw new Error(`unknown reader ${reader}`);

const problems = [];
const family = reader.startsWith('polars') ? 'polars' : reader;
if (got.names.join(',') !== cols.map((c) => c.name).join(','))
	problems.push(`columns ${got.names.join(',')}, want ${cols.map((c) => c.name).join(',')}`);
cols.forEach((c, k) => {
	const w = wantType[family][c.type];
	const ok = w instanceof RegExp ? w.test(got.types[k]) : got.types[k] === w;
	if (!ok) problems.push(`column ${c.name}: type ${got.types[k]} for colstore ${c.type}`);
});
const wantNulls = cols.map((c, k) => expected.filter((r) => r[k] === 'null').length);
if (got.nulls.join(',') !== wantNulls.join(','))
	problems.push(`null counts ${got.nulls.join(',')}, want ${wantNulls.join(',')}`);
if (got.rows.length !== expected.length)
	problems.push(`${got.rows.length} rows, want ${expected.length}`);
let bad = 0;
for (let i = 0; i < Math.min(got.rows.length, expected.length); i++)
	for (let k = 0; k < cols.length; k++)
		if (got.rows[i][k] !== expected[i][k] && bad++ < 5)
			problems.push(`row ${i} column ${cols[k].name}: ${got.rows[i][k]}, want ${expected[i][k]}`);
if (bad > 5) problems.push(`... ${bad} cells differ in all`);
let extra = '';
if (got.meta) {
	const { statNulls, checked } = checkStats(got.meta, got.rows, problems);
	if (statNulls.join(',') !== wantNulls.join(','))
		problems.push(`statistics null counts ${statNulls.join(',')}, want ${wantNulls.join(',')}`);
	extra = `, ${checked} min/max statistics`;
}
if (problems.length) {
	console.log(`FAIL ${reader} ${file}:\n  ${problems.join('\n  ')}`);
	process.exit(1);
}
console.log(`ok ${reader} ${file}: ${expected.length} rows x ${cols.length} columns, types, null counts${extra}`);
