# .cool / .mcool reader (src/io/cool_*.c); fixtures from tests/fixtures/make_cool_fixtures.py
hw_test(test_cool_reader SOURCES unit/test_cool_reader.c LABELS unit)
# damaged coolers: every structural fact checked, exact messages
hw_test(test_cool_hostile SOURCES unit/test_cool_hostile.c LABELS unit)
