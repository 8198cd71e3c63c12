#!/bin/sh
# LOG_COMPILER of the test programs (Makefile.am): runs PROGRAM with cmocka's TAP output and
# hands its TAP to automake's tap-driver.sh. cmocka 1.1 prints a skipped test as
# "not ok N # SKIP NAME", which the driver would count as a failure; this rewrites it to
# "ok N # SKIP NAME". Programs that print TAP themselves (test-xml2argv) pass through as is.
# The exit status is the program's.
CMOCKA_MESSAGE_OUTPUT=TAP
export CMOCKA_MESSAGE_OUTPUT
exec 4>&1
{ { "$@"; echo $? >&3; } | sed 's/^not ok \([0-9]*\) # SKIP/ok \1 # SKIP/' >&4; } 3>&1 |
    { read -r rc; exit "${rc:-99}"; }
