/* Persistent domain definitions (virsh define): DIR/NAME.xml, written atomically, and
 * DIR/autostart/NAME.xml, a symbolic link to ../NAME.xml for a domain started at boot (as
 * libvirt keeps them). DIR is QLAUNCH_DOMAIN_DIR, else SYSCONFDIR/qlaunch/domains for root
 * and $XDG_CONFIG_HOME/qlaunch/domains (HOME/.config/...) for a user. Every function takes
 * dir NULL for that default. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "util/error.h"

const char *store_dir(const char *dir);
/* DIR/NAME.xml; NULL (with err set) for a name that cannot be a file name. */
char *store_path(const char *dir, const char *name, struct ql_error *err);
bool store_defined(const char *dir, const char *name);
/* Stores xml as NAME's definition, replacing the old one atomically. */
int store_define(const char *dir, const char *name, const char *xml, size_t len,
                 struct ql_error *err);
/* Removes the definition and its autostart link; -ENOENT when NAME is not defined. */
int store_undefine(const char *dir, const char *name, struct ql_error *err);
/* Marks a defined domain to be started at boot (on) or not; -ENOENT when not defined. */
int store_set_autostart(const char *dir, const char *name, bool on, struct ql_error *err);
bool store_autostart(const char *dir, const char *name);
/* The defined names, sorted (none when the directory does not exist); free them with
 * sup_free_names (supervise/rundir.h). */
int store_list(const char *dir, char ***ret_names, size_t *ret_n, struct ql_error *err);
