/*
 * test_format.c -- header, trailer and block descriptors (format-spec.md §5),
 * error strings and type names.
 */
#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"

static void test_header_bytes(void)
{
	uint8_t h[CS_HEADER_SIZE];
	cs_header_encode(h, 0, 0);
	/* §5.1 and §6: exact bytes */
	const uint8_t magic[8] = { 0x89, 0x43, 0x4F, 0x4C, 0x53, 0x0D, 0x0A, 0x1A };
	CU_ASSERT_EQUAL(memcmp(h, magic, 8), 0);
	CU_ASSERT_EQUAL(cs_le16(h + 8), 1);
	CU_ASSERT_EQUAL(cs_le16(h + 10), 0);
	CU_ASSERT_EQUAL(cs_le32(h + 12), 64);
	CU_ASSERT_EQUAL(cs_le32(h + 24), 64);
	for (int i = 28; i < 56; i++)
		CU_ASSERT_EQUAL(h[i], 0);
	CU_ASSERT_EQUAL(cs_le64(h + 56), cs_xxh3(h, 56));
	cs_header hd;
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(hd.major, 1);
}

static void reseal(uint8_t *h)
{
	cs_st64(h + 56, cs_xxh3(h, 56));
}

static void test_header_rules(void)
{
	uint8_t h[CS_HEADER_SIZE];
	cs_header hd;
	colstore_error e;
	/* R7.1: another major is refused */
	cs_header_encode(h, 0, 0);
	cs_st16(h + 8, 3);
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_EVERSION);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "format version 3.0 is not supported"));
	cs_st16(h + 8, 0);
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_EVERSION);
	/* §14: a new file is 1.0; an appended one 2.0, with its append fields */
	cs_header_encode(h, 0, 0);
	CU_ASSERT_EQUAL(cs_le16(h + 8), 1);
	cs_header_encode(h, 123456, 3);
	CU_ASSERT_EQUAL(cs_le16(h + 8), 2);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(hd.committed, 123456);
	CU_ASSERT_EQUAL(hd.appends, 3);
	h[44] = 1; /* [40, 56) stay reserved */
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_ECORRUPT);
	CU_ASSERT_EQUAL(e.offset, 40);
	cs_header_encode(h, 0, 1);
	cs_st32(h + 36, 0); /* R14.1: 2.0 without an append */
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_ECORRUPT);
	/* a 1.0 header with 2.0's fields set: reserved bytes, refused */
	cs_header_encode(h, 0, 0);
	cs_st32(h + 36, 1);
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_ECORRUPT);
	CU_ASSERT_EQUAL(e.offset, 28);
	/* R7.2: a newer minor is read */
	cs_header_encode(h, 0, 0);
	cs_st16(h + 10, 7);
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(hd.minor, 7);
	/* R7.5: with a newer minor, reserved bytes are ignored ... */
	h[40] = 1;
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_OK);
	/* ... with our minor, they must be zero */
	cs_header_encode(h, 0, 0);
	h[40] = 1;
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_ECORRUPT);
	CU_ASSERT_EQUAL(e.offset, 28);
	/* R7.3: unknown required flag refused; R7.4: optional flag ignored */
	cs_header_encode(h, 0, 0);
	cs_st32(h + 16, 1);
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_EVERSION);
	cs_header_encode(h, 0, 0);
	cs_st32(h + 20, 0x80000000u);
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_OK);
	/* R7.6 */
	cs_header_encode(h, 0, 0);
	cs_st32(h + 24, 32);
	reseal(h);
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_ECORRUPT);
	/* bad magic, bad checksum */
	cs_header_encode(h, 0, 0);
	h[1] = 'X';
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "not a colstore file (bad magic at offset 0)");
	cs_header_encode(h, 0, 0);
	h[9] ^= 1;
	CU_ASSERT_EQUAL(cs_header_decode(h, sizeof(h), &hd, &e), COLSTORE_ECHECKSUM);
}

static void test_block_desc(void)
{
	uint8_t d[CS_BLOCK_DESC_SIZE];
	cs_block_desc b = { 128, 100, 100, 0x1234, 0, 1 }, o;
	colstore_error e;
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_OK);
	CU_ASSERT_TRUE(o.present);
	CU_ASSERT_EQUAL(o.offset, 128);
	CU_ASSERT_EQUAL(o.checksum, 0x1234);
	/* R5.5.1: all zero is absent */
	memset(d, 0, sizeof(d));
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_OK);
	CU_ASSERT_FALSE(o.present);
	/* R5.5.2: misaligned; past the footer; overflow of offset + size */
	b.offset = 100;
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_ECORRUPT);
	b.offset = 960;
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_ECORRUPT);
	b.offset = UINT64_MAX - 63;
	b.stored_size = b.raw_size = 128;
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_ECORRUPT);
	/* R5.5.3: sizes */
	b.offset = 128;
	b.stored_size = 10;
	b.raw_size = 11;
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_ECORRUPT);
	b.compression = COLSTORE_COMPRESSION_LZ4;
	CU_ASSERT_EQUAL((cs_block_encode(d, &b), cs_block_decode(d, 0, 1024, 1, &o, "t", &e)),
	                COLSTORE_OK);
	b.raw_size = 10 * 255 + 1; /* beyond LZ4's best ratio */
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_ECORRUPT);
	b.raw_size = 10 * 255;
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_OK);
	b.compression = 9;
	cs_block_encode(d, &b);
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_ECORRUPT);
	/* reserved bytes */
	b.compression = 0;
	b.stored_size = b.raw_size = 10;
	cs_block_encode(d, &b);
	d[39] = 1;
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 1, &o, "t", &e), COLSTORE_ECORRUPT);
	/* R7.5: in a file of a newer minor they are ignored */
	CU_ASSERT_EQUAL(cs_block_decode(d, 0, 1024, 0, &o, "t", &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(o.offset, 128);
}

static void test_trailer(void)
{
	uint8_t f[256];
	memset(f, 0, sizeof(f));
	cs_trailer t;
	colstore_error e;
	/* footer [128, 216), trailer [216, 256) */
	cs_trailer_encode(f + 216, 128, 88, 42);
	CU_ASSERT_EQUAL(cs_trailer_decode(f, 256, &t, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(t.footer_offset, 128);
	CU_ASSERT_EQUAL(t.footer_checksum, 42);
	/* R4.1: the footer must end at the trailer */
	cs_trailer_encode(f + 216, 128, 80, 42);
	CU_ASSERT_EQUAL(cs_trailer_decode(f, 256, &t, &e), COLSTORE_ECORRUPT);
	/* R4.4: no trailer magic -> incomplete */
	memset(f + 216, 0, 40);
	CU_ASSERT_EQUAL(cs_trailer_decode(f, 256, &t, &e), COLSTORE_ETRUNCATED);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "incomplete or truncated"));
}

static void test_names_and_errors(void)
{
	/* pinned values (colstore.h) */
	CU_ASSERT_EQUAL(COLSTORE_ECHECKSUM, 5);
	CU_ASSERT_EQUAL(COLSTORE_ELIMIT, 11);
	CU_ASSERT_STRING_EQUAL(colstore_strerror(COLSTORE_OK), "success");
	CU_ASSERT_STRING_EQUAL(colstore_strerror(COLSTORE_ECHECKSUM), "checksum mismatch");
	CU_ASSERT_STRING_EQUAL(colstore_strerror(99), "unknown error");
	CU_ASSERT_STRING_EQUAL(colstore_strerror(-1), "unknown error");
	CU_ASSERT_STRING_EQUAL(colstore_type_name(COLSTORE_TYPE_TIMESTAMP), "timestamp");
	CU_ASSERT_PTR_NULL(colstore_type_name(0));
	CU_ASSERT_PTR_NULL(colstore_type_name(11));
	colstore_type t;
	CU_ASSERT_EQUAL(colstore_type_from_name("date", &t), COLSTORE_OK);
	CU_ASSERT_EQUAL(t, COLSTORE_TYPE_DATE);
	CU_ASSERT_EQUAL(colstore_type_from_name("decimal", &t), COLSTORE_ENOTFOUND);
	CU_ASSERT_EQUAL(colstore_type_width(COLSTORE_TYPE_INT16), 2);
	CU_ASSERT_EQUAL(colstore_type_width(COLSTORE_TYPE_BOOL), 0);
	CU_ASSERT_EQUAL(colstore_version_number(), COLSTORE_VERSION_NUMBER);
	CU_ASSERT_STRING_EQUAL(colstore_version_string(), "0.1.0");
	/* XXH3 of nothing, as the spec states in §2 */
	CU_ASSERT_EQUAL(cs_xxh3("", 0), 0x2D06800538D394C2ull);
}

void register_format_tests(void)
{
	CU_pSuite s = CU_add_suite("format", NULL, NULL);
	CU_add_test(s, "header bytes (§5.1)", test_header_bytes);
	CU_add_test(s, "header version, flag and reserved rules (§7)", test_header_rules);
	CU_add_test(s, "block descriptor rules (§5.5)", test_block_desc);
	CU_add_test(s, "trailer rules (§5.7, R4.1, R4.4)", test_trailer);
	CU_add_test(s, "error strings, type names, versions", test_names_and_errors);
}
