// lz4codec.mjs -- Arrow JS decompresses IPC body buffers only through a codec
// the program registers (apache-arrow's compressionRegistry); this registers
// an LZ4 frame decoder (lz4js) for files written with `export -z lz4`.
import { createRequire } from 'node:module';

export function registerLz4(arrow) {
	const require = createRequire(import.meta.url);
	const lz4 = require('lz4js');
	arrow.compressionRegistry.set(arrow.CompressionType.LZ4_FRAME,
		{ encode: null, decode: (bytes) => lz4.decompress(bytes) });
}
