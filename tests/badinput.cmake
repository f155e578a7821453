# The bad-input suite (docs/bad-input.md): hostile arguments and files for every stage,
# run as users run them (mpiexec -n 2 for the MPI stages); exit status, one exact error
# line, inputs unchanged, nothing written, no process left. Label badinput.
hw_script_test(test_bad_inputs tests/bad_inputs/run.sh LABELS badinput integration mpi)
set_tests_properties(test_bad_inputs PROPERTIES PROCESSORS 2 TIMEOUT 600)
