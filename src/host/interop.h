/* QEMU's interop descriptors (docs/interop/firmware.json, docs/interop/vhost-user.json):
 * JSON files in search directories merged by file name, as QEMU and libvirt read them. A
 * file in an earlier directory hides the same name in later ones (an empty file hides it
 * without replacing it); the result is in file-name order, first wins.
 *
 * Directories for KIND ("firmware", "vhost-user"): $ENV (colon-separated, first wins) when
 * set, else $XDG_CONFIG_HOME/qemu/KIND (~/.config; unprivileged users only),
 * /etc/qemu/KIND, /usr/share/qemu/KIND. */
#pragma once
#include <stddef.h>
#include "util/error.h"

#define HOST_INTEROP_MAX_DESCRIPTORS 256
#define HOST_INTEROP_DESCRIPTOR_MAX (64 * 1024)    /* bytes per descriptor file */

/* The descriptor paths (*ret, *ret_n; free with host_interop_free) and the directories
 * searched as text for messages (*ret_dirs_text). 0 or -errno. */
int host_interop_list(const char *kind, const char *env, char ***ret, size_t *ret_n,
                      char **ret_dirs_text, struct ql_error *err);
void host_interop_free(char **v, size_t n);

/* virtiofsd as libvirt finds it (qemuVhostUserFillDomainFS): the "binary" of the first
 * vhost-user descriptor of type "fs" ($QLAUNCH_VHOST_USER_DIRS overrides the directories)
 * that is executable, else Debian 12's /usr/lib/qemu/virtiofsd when it is. NULL: none;
 * *ret_searched then names what was searched. */
#define HOST_VIRTIOFSD_DEBIAN "/usr/lib/qemu/virtiofsd"
char *host_virtiofsd_find(char **ret_searched);
