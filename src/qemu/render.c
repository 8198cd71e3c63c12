/* The text form of a build result, shared by `qlaunch argv` and the golden tests. */
#include "config.h"
#include "qemu/build.h"
#include "util/strbuf.h"

#include <string.h>

void qb_result_render(struct strbuf *sb, const struct qb_result *r)
{
    /* <qemu:env> first, as libvirt's .args files show the environment */
    for (size_t i = 0; i < r->n_env; i++) {
        const char *eq = strchr(r->env[i], '=');
        sb_addf(sb, "%.*s=", (int)(eq - r->env[i]), r->env[i]);
        sb_add_shell_quoted(sb, eq + 1);
        sb_add(sb, " \\\n");
    }
    argv_render_shell(sb, &r->argv, true);
    sb_addc(sb, '\n');
    for (size_t i = 0; i < r->n_fds; i++) {
        const struct qb_fd *f = &r->fds[i];
        if (f->fd >= 0)
            sb_addf(sb, "# fd %d (%s): %s\n", f->fd, qb_fd_kind_to_string(f->kind), f->what);
        else
            sb_addf(sb, "# file (%s): %s\n", qb_fd_kind_to_string(f->kind), f->what);
    }
    for (size_t i = 0; i < r->n_notes; i++)
        sb_addf(sb, "# note: %s\n", r->notes[i]);
}
