# Hostile inputs for `qlaunch validate` (TAP, one result per input); make-inputs.sh writes
# them at test time.
TESTS += tests/hostile/hostile.tap
EXTRA_DIST += tests/hostile/hostile.tap tests/hostile/make-inputs.sh
