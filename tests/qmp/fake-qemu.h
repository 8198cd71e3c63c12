/* A fake QEMU that replays a tests/qmp/NAME.replies transcript (format: tests/qmp/README)
 * over one end of a socketpair, in a child process. */
#pragma once
#include <sys/types.h>

/* Returns the child's pid and the client end of the socketpair in *ret_fd. Aborts on error. */
pid_t fake_qemu_start(const char *name, int *ret_fd);
/* Waits for the child; returns 0 when the whole transcript was replayed and every command
 * the client sent matched, otherwise the child's exit code (it explains on stderr). */
int fake_qemu_wait(pid_t pid);
/* Reads NAME.replies into an array of lines ("<- ...", "-> ...", "! ..."), without comments
 * and blank lines; NULL-terminated; free with fake_lines_free. */
char **fake_lines_load(const char *name);
void fake_lines_free(char **lines);
