/* Phase trace for start-up measurements: with QLAUNCH_TRACE=FILE every process of qlaunch
 * appends "MONO_US PID PHASE" lines to FILE (one write each, so lines from the CLI and the
 * supervisor interleave whole); bench/start turns them into the launcher's cost per phase.
 * Without the variable a trace point costs one branch. */
#pragma once

void ql_trace(const char *phase);
