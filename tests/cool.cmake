# .cool / .mcool reader (src/io/cool_*.c); fixtures from tests/fixtures/make_cool_fixtures.py
hw_test(test_cool_reader SOURCES unit/test_cool_reader.c LABELS unit)
