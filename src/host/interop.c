/* QEMU's interop descriptor directories (docs/interop/firmware.json, vhost-user.json); see
 * interop.h. */
#include "config.h"
#include "host/interop.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The search directories, first wins. */
static size_t interop_dirs(const char *kind, const char *env_name, char ***ret)
{
    char **v = NULL;
    size_t n = 0;
    const char *env = getenv(env_name);
    if (env && *env) {
        _cleanup_free_ char *copy = xstrdup(env);
        char *save = NULL;
        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
            v = xrealloc(v, (n + 1) * sizeof(*v));
            v[n++] = xstrdup(t);
        }
    } else {
        v = xcalloc(3, sizeof(*v));
        if (geteuid() != 0) {
            const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
            if (xdg && *xdg)
                v[n++] = xasprintf("%s/qemu/%s", xdg, kind);
            else if (home && *home)
                v[n++] = xasprintf("%s/.config/qemu/%s", home, kind);
        }
        v[n++] = xasprintf("/etc/qemu/%s", kind);
        v[n++] = xasprintf("/usr/share/qemu/%s", kind);
    }
    *ret = v;
    return n;
}

void host_interop_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int cmp_name(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    const char *bx = strrchr(*x, '/'), *by = strrchr(*y, '/');
    return strcmp(bx ? bx + 1 : *x, by ? by + 1 : *y);
}

int host_interop_list(const char *kind, const char *env, char ***ret, size_t *ret_n,
                      char **ret_dirs_text, struct ql_error *err)
{
    char **dirs = NULL;
    size_t nd = interop_dirs(kind, env, &dirs);
    char **paths = NULL, **names = NULL;
    size_t n = 0;
    struct strbuf dt = STRBUF_INIT;
    int r = 0;
    for (size_t i = 0; i < nd; i++) {
        sb_addf(&dt, "%s%s", i ? ", " : "", dirs[i]);
        DIR *dir = opendir(dirs[i]);
        if (!dir)
            continue;
        struct dirent *e;
        while ((e = readdir(dir))) {
            size_t l = strlen(e->d_name);
            if (e->d_name[0] == '.' || l < 6 || !STREQ(e->d_name + l - 5, ".json"))
                continue;
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = STREQ(names[k], e->d_name);
            if (seen)
                continue;
            if (n == HOST_INTEROP_MAX_DESCRIPTORS) {
                r = ql_error_set(err, E2BIG, "more than %d %s descriptors in %s",
                                 HOST_INTEROP_MAX_DESCRIPTORS, kind, sb_str(&dt));
                break;
            }
            paths = xrealloc(paths, (n + 1) * sizeof(*paths));
            names = xrealloc(names, (n + 1) * sizeof(*names));
            paths[n] = xasprintf("%s/%s", dirs[i], e->d_name);
            names[n++] = xstrdup(e->d_name);
        }
        closedir(dir);
        if (r < 0)
            break;
    }
    host_interop_free(dirs, nd);
    host_interop_free(names, n);
    if (r < 0) {
        host_interop_free(paths, n);
        sb_free(&dt);
        return r;
    }
    /* An empty file masks the descriptor of that name in later directories. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && st.st_size == 0)
            free(paths[i]);
        else
            paths[k++] = paths[i];
    }
    n = k;
    if (n)
        qsort(paths, n, sizeof(*paths), cmp_name);
    *ret = paths;
    *ret_n = n;
    *ret_dirs_text = sb_steal(&dt);
    return 0;
}


char *host_virtiofsd_find(char **ret_searched)
{
    char **paths = NULL;
    size_t n = 0;
    _cleanup_free_ char *dirs = NULL;
    struct ql_error e = QL_ERROR_INIT;
    char *found = NULL;
    *ret_searched = NULL;
    if (host_interop_list("vhost-user", "QLAUNCH_VHOST_USER_DIRS", &paths, &n, &dirs, &e) == 0) {
        for (size_t i = 0; i < n && !found; i++) {
            _cleanup_free_ char *data = NULL;
            size_t len = 0;
            if (ql_read_file(paths[i], HOST_INTEROP_DESCRIPTOR_MAX, &data, &len, &e) < 0) {
                ql_error_clear(&e);
                continue;
            }
            _cleanup_json_ json_object *o = json_tokener_parse(data);
            const char *type = ql_json_str(o, "type", NULL);
            const char *bin = ql_json_str(o, "binary", NULL);
            if (type && STREQ(type, "fs") && bin && access(bin, X_OK) == 0)
                found = xstrdup(bin);
        }
        host_interop_free(paths, n);
    }
    ql_error_clear(&e);
    if (!found && access(HOST_VIRTIOFSD_DEBIAN, X_OK) == 0)
        found = xstrdup(HOST_VIRTIOFSD_DEBIAN);
    if (!found)
        *ret_searched = xasprintf("the vhost-user descriptors of type 'fs' in %s, and %s",
                                  dirs ? dirs : "QEMU's directories", HOST_VIRTIOFSD_DEBIAN);
    return found;
}
