# The bad-input suite (docs/bad-input.md): hostile arguments and files for every stage,
# run as users run them (mpiexec -n 2 for the MPI stages); exit status, one exact error
# line, inputs unchanged, nothing written, no process left. Label badinput.
hw_script_test(test_bad_inputs tests/bad_inputs/run.sh LABELS badinput integration mpi)
set_tests_properties(test_bad_inputs PROPERTIES PROCESSORS 2 TIMEOUT 600)
# The sanitizer build (scripts/test.sh: build-asan) runs a deterministic half of the cases,
# every stage's 1st, 3rd, 5th, ... case (the whole suite takes ~8 min there on 2 cores),
# without the kill -9 faults (process behaviour, checked by the Release build).
if(HITWIN_SANITIZE)
  set_property(TEST test_bad_inputs APPEND PROPERTY ENVIRONMENT "BADINPUT_EVERY=2" "BADINPUT_FAULTS=0")
endif()
