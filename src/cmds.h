/* Verb entry points: argv[0] is the verb name; return the process exit status. */
#pragma once

int cmd_validate(int argc, char **argv);
int cmd_argv(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_dominfo(int argc, char **argv);
int cmd_domdisplay(int argc, char **argv);
int cmd_domstate(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_suspend(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_qmp(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_define(int argc, char **argv);
int cmd_undefine(int argc, char **argv);
int cmd_autostart(int argc, char **argv);
int cmd_dumpxml(int argc, char **argv);
int cmd_edit(int argc, char **argv);

/* The one-line summary main's verb table gives for verb; NULL for an unknown verb. */
const char *qlaunch_verb_summary(const char *verb);

/* Attaches the terminal to a running domain's serial console (console, create --console). */
struct ctl_target;
int console_attach(const struct ctl_target *t);

/* Prints parse diagnostics for file to stream, one line each. */
struct dom_diags;
#include <stdio.h>
void print_diags(FILE *f, const char *file, const struct dom_diags *g);
/* What validate checks (the XML, the run directory, the command line, the emulator unless
 * use_emulator is false): 0 with the domain in *ret, or -errno with the problems in g. */
struct domain;
#include <stdbool.h>
int validate_file(const char *file, bool use_emulator, struct domain **ret,
                  struct dom_diags *g);
