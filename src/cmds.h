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
int cmd_edit(int argc, char **argv);
int cmd_domblklist(int argc, char **argv);
int cmd_domiflist(int argc, char **argv);
int cmd_domblkstat(int argc, char **argv);
int cmd_domifstat(int argc, char **argv);
int cmd_dommemstat(int argc, char **argv);
int cmd_vcpuinfo(int argc, char **argv);
int cmd_change_media(int argc, char **argv);
int cmd_send_key(int argc, char **argv);
int cmd_screenshot(int argc, char **argv);
int cmd_setmem(int argc, char **argv);
int cmd_attach_device(int argc, char **argv);
int cmd_detach_device(int argc, char **argv);
int cmd_attach_disk(int argc, char **argv);
int cmd_detach_disk(int argc, char **argv);
int cmd_attach_interface(int argc, char **argv);
int cmd_detach_interface(int argc, char **argv);
int cmd_setvcpus(int argc, char **argv);
int cmd_dumpxml(int argc, char **argv);
int cmd_qemu_agent_command(int argc, char **argv);
int cmd_domifaddr(int argc, char **argv);
int cmd_domfsfreeze(int argc, char **argv);
int cmd_domfsthaw(int argc, char **argv);
int cmd_snapshot_create_as(int argc, char **argv);
int cmd_snapshot_list(int argc, char **argv);
int cmd_snapshot_info(int argc, char **argv);
int cmd_snapshot_revert(int argc, char **argv);
int cmd_snapshot_delete(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_import_libvirt(int argc, char **argv);

/* The day-2 verbs' request to the supervisor of cli's NAME (req is cleared): the reply to
 * put, with its CTL_RESULT member in *ret_result (if not NULL; NULL when it has none), or
 * NULL with the exit status in *ret_status after printing why. */
struct cli;
struct ctl_request;
#include <json-c/json.h>
json_object *day2_call(struct cli *cli, struct ctl_request *req, json_object **ret_result,
                       int *ret_status);
/* The same, waiting up to timeout_ms for the answer. */
json_object *day2_call_wait(struct cli *cli, struct ctl_request *req, int timeout_ms,
                            json_object **ret_result, int *ret_status);
void day2_print_json(json_object *o);
/* Sends req for cli's NAME; prints done (if any) on success. */
int day2_simple(struct cli *cli, struct ctl_request *req, const char *done);

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

/* Validates file as `validate` does and stores it as its domain's definition (define, edit,
 * import-libvirt). label: the file's name in messages (NULL: file). expect_name: the name
 * it must keep (edit), or NULL. A domain defined already keeps its UUID, as in libvirt.
 * Prints the problems; returns the exit status (0: the name in *ret_name). */
int define_file(const char *file, const char *label, const char *expect_name, char **ret_name);
/* `qlaunch autostart [--disable] NAME` for a defined domain: prints what it did; returns the
 * exit status. */
int autostart_set(const char *name, bool on);
