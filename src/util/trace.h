/* Phase trace for start-up measurements: with QLAUNCH_TRACE=FILE every process of qlaunch
 * appends "MONO_US PID PHASE" lines to FILE (one write each, so lines from the CLI and the
 * supervisor interleave whole); bench/start turns them into the launcher's cost per phase.
 * Without the variable a trace point costs one branch.
 * QLAUNCH_KILL_AT=PHASE makes the process SIGKILL itself at that trace point (fault
 * injection for the tests; never set it in production). */
#pragma once

void ql_trace(const char *phase);
