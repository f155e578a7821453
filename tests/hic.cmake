# .hic reader: values against hicstraw fixtures (tests/fixtures/make_hic_fixtures.py),
# block selection, band reads, and truncated/corrupt/fuzzed input.
hw_test(test_hic_reader SOURCES unit/test_hic_reader.c LABELS unit)
