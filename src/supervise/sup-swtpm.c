/* <tpm>: the host side. An emulated TPM is one swtpm per domain, a helper process
 * (helpers.h) that runs as QEMU's user on a socket in QEMU's directory; its state lives
 * in a persistent per-domain directory created by swtpm_setup on the first start (like
 * the UEFI NVRAM), or in the run directory with persistent_state='no'. Root creates it
 * with EK and platform certificates signed by swtpm's local CA, as libvirt does: that
 * swtpm_setup runs as the CA's owner (tss), and the state then goes to QEMU's user. */
#include "config.h"
#include "supervise/helpers.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#define SWTPM "/usr/bin/swtpm"
#define SWTPM_SETUP "/usr/bin/swtpm_setup"
#define SWTPM_SETUP_CONF "/etc/swtpm_setup.conf"
#define SWTPM_LOCALCA_CONF "/etc/swtpm-localca.conf"

/* "sha256,sha384" for swtpm_setup --pcr-banks. */
static char *pcr_banks(unsigned banks)
{
    struct strbuf sb = STRBUF_INIT;
    for (int b = 0; b < DOM_TPM_PCR_MAX; b++)
        if (banks & (1u << b))
            sb_addf(&sb, "%s%s", sb.len ? "," : "", dom_tpm_pcr_bank_to_string(b));
    return sb_steal(&sb);
}

/* chown of dir and the files in it. */
static int give_dir(const char *dir, uid_t uid, gid_t gid, const char *user,
                    struct ql_error *err)
{
    DIR *d = opendir(dir);
    int r = 0;
    for (struct dirent *e; d && r == 0 && (e = readdir(d));) {
        if (STREQ(e->d_name, ".") || STREQ(e->d_name, ".."))
            continue;
        _cleanup_free_ char *f = xasprintf("%s/%s", dir, e->d_name);
        if (lchown(f, uid, gid) < 0)
            r = ql_error_errno(err, errno, "cannot give '%s' to user '%s'", f, user);
    }
    if (d)
        closedir(d);
    if (r < 0)
        return r;
    if (chown(dir, uid, gid) < 0)
        return ql_error_errno(err, errno, "cannot give '%s' to user '%s'", dir, user);
    return 0;
}

/* A directory of QEMU's user (swtpm writes there as that user), created when missing. */
static int state_dir(struct sup *s, const char *dir, struct ql_error *err)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return ql_error_errno(err, errno, "cannot create the TPM state directory '%s'", dir);
    struct stat st;
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return ql_error_set(err, ENOTDIR, "the TPM state directory '%s' is not a directory",
                            dir);
    uid_t uid = s->dac.drop ? s->dac.uid : geteuid();
    if (st.st_uid != uid && st.st_uid != geteuid())
        return ql_error_set(err, EPERM, "the TPM state directory '%s' belongs to another "
                            "user; remove it", dir);
    /* Its files too: a domain whose QEMU user changed keeps its TPM. */
    return s->dac.drop ? give_dir(dir, s->dac.uid, s->dac.gid, s->dac.user, err) : 0;
}

/* The state directory: persistent, SWTPM_DIR/UUID/tpm2 (tpm1.2) as libvirt's, searchable by
 * QEMU's user down to it; transient, RUNDIR/swtpm (removed with the helper). */
static int prepare_state(struct sup *s, const struct dom_tpm *t, char **ret_dir,
                         struct ql_error *err)
{
    bool v12 = t->version == DOM_TPM_VERSION_1_2;
    if (t->persistent_state == DOM_TRI_OFF) {
        *ret_dir = xasprintf("%s/swtpm", s->paths.dir);
        return state_dir(s, *ret_dir, err);
    }
    const char *base = sup_swtpm_dir();
    int r = sup_private_dir(base, "TPM state", "QLAUNCH_SWTPM_DIR", err);
    if (r < 0)
        return r;
    sup_dir_searchable(s, base);
    char uuid[37];
    uuid_unparse_lower(s->dom->uuid, uuid);
    _cleanup_free_ char *udir = xasprintf("%s/%s", base, uuid);
    if (mkdir(udir, 0700) < 0 && errno != EEXIST)
        return ql_error_errno(err, errno, "cannot create the TPM state directory '%s'", udir);
    sup_dir_searchable(s, udir);
    *ret_dir = xasprintf("%s/%s", udir, v12 ? "tpm1.2" : "tpm2");
    return state_dir(s, *ret_dir, err);
}

/* Who may sign EK certificates: the owner of the local CA's state directory (statedir in
 * SWTPM_LOCALCA_CONF, tss on Debian), when swtpm_setup's configuration names a CA tool
 * and qlaunch is root (it runs swtpm_setup as that user). False, with why in ret_why,
 * when certificates cannot be made. */
static bool localca_user(struct host_dac *ca, gid_t *gid, char **ret_why)
{
    if (geteuid() != 0) {
        *ret_why = xstrdup("qlaunch does not run as root and cannot use swtpm's local CA");
        return false;
    }
    _cleanup_free_ char *setup = NULL, *conf = NULL;
    struct ql_error e = QL_ERROR_INIT;
    if (ql_read_file(SWTPM_SETUP_CONF, 65536, &setup, NULL, &e) < 0
        || !strstr(setup, "create_certs_tool")
        || ql_read_file(SWTPM_LOCALCA_CONF, 65536, &conf, NULL, &e) < 0) {
        *ret_why = xasprintf("%s", e.msg ? ql_error_msg(&e)
                                         : SWTPM_SETUP_CONF " names no create_certs_tool");
        ql_error_clear(&e);
        return false;
    }
    char statedir[4096] = "";
    for (char *l = conf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (sscanf(l, " statedir = %4095[^\n]", statedir) == 1)
            break;
    size_t n = strlen(statedir);
    while (n && statedir[n - 1] == ' ')
        statedir[--n] = '\0';
    struct stat st;
    if (!n || stat(statedir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid == 0) {
        *ret_why = xasprintf("swtpm's local CA directory ('%s', statedir in %s) is missing or "
                             "root's", statedir, SWTPM_LOCALCA_CONF);
        return false;
    }
    struct passwd *pw = getpwuid(st.st_uid);
    *gid = pw ? pw->pw_gid : st.st_gid;
    *ca = (struct host_dac){.drop = true, .uid = st.st_uid, .gid = *gid, .groups = gid,
                            .n_groups = 1,
                            .user = pw ? xstrdup(pw->pw_name) : xasprintf("+%u", st.st_uid)};
    return true;
}

/* Whether uid can search every directory above dir (dir itself is given to it). */
static bool reachable_by(const char *dir, uid_t uid)
{
    _cleanup_free_ char *p = xstrdup(dir);
    for (char *slash; (slash = strrchr(p, '/')) && slash != p;) {
        *slash = '\0';
        struct stat st;
        if (stat(p, &st) < 0 || !(st.st_mode & (st.st_uid == uid ? S_IXUSR : S_IXOTH)))
            return false;
    }
    return true;
}

/* swtpm_setup: manufactures the TPM (an EK, NVRAM locked) on the first start; later starts
 * only reconfigure the PCR banks the XML asks for, as libvirt does. With swtpm's local CA
 * (localca_user), the first start also creates the EK and platform certificates, as the
 * CA's owner; else the TPM has none (a note in the log). */
static int run_setup(struct sup *s, const struct dom_tpm *t, const char *dir,
                     struct ql_error *err)
{
    bool v12 = t->version == DOM_TPM_VERSION_1_2;
    _cleanup_free_ char *state = xasprintf("%s/%s", dir, v12 ? "tpm-00.permall"
                                                             : "tpm2-00.permall");
    bool exists = access(state, F_OK) == 0;
    if (exists && (!t->pcr_banks || v12))
        return 0;
    _cleanup_free_ char *banks = pcr_banks(t->pcr_banks);
    const char *argv[16];
    size_t n = 0;
    argv[n++] = SWTPM_SETUP;
    if (!v12)
        argv[n++] = "--tpm2";
    argv[n++] = "--tpmstate";
    argv[n++] = dir;
    struct host_dac ca = {0};
    gid_t ca_gid;
    _cleanup_free_ char *why = NULL;
    bool certs = !exists && localca_user(&ca, &ca_gid, &why);
    if (certs && !reachable_by(dir, ca.uid)) {
        why = xasprintf("swtpm's CA user '%s' cannot reach '%s'", ca.user, dir);
        free(ca.user);
        certs = false;
    }
    if (exists) {
        argv[n++] = "--reconfigure";
    } else {
        argv[n++] = "--createek";
        argv[n++] = "--lock-nvram";
        argv[n++] = "--not-overwrite";
        if (certs) {
            argv[n++] = "--create-ek-cert";
            argv[n++] = "--create-platform-cert";
        } else {
            sup_log(s, "TPM: no EK certificate: %s", why);
        }
    }
    if (t->pcr_banks && !v12) {
        argv[n++] = "--pcr-banks";
        argv[n++] = banks;
    }
    /* Dropped to QEMU's user, swtpm_setup would look for its configuration in root's
     * home; the system's is what applies. */
    if ((s->dac.drop || certs) && access(SWTPM_SETUP_CONF, R_OK) == 0) {
        argv[n++] = "--config";
        argv[n++] = SWTPM_SETUP_CONF;
    }
    argv[n] = NULL;
    struct sup_helper_spec spec = {.name = "swtpm_setup", .argv = (char *const *)argv,
                                   .out_fd = s->log_fd, .dac = certs ? &ca : &s->dac};
    sup_log(s, "TPM: %s the state in %s%s%s", exists ? "reconfiguring" : "creating", dir,
            certs ? " with EK and platform certificates, as " : "", certs ? ca.user : "");
    /* The CA's owner writes the new state; QEMU's user (or root) owns it afterwards. */
    int r = certs ? give_dir(dir, ca.uid, ca.gid, ca.user, err) : 0;
    if (r == 0)
        r = sup_helper_run(&spec, err);
    if (certs) {
        uid_t uid = s->dac.drop ? s->dac.uid : geteuid();
        gid_t gid = s->dac.drop ? s->dac.gid : getegid();
        int r2 = give_dir(dir, uid, gid, s->dac.drop ? s->dac.user : "root", err);
        r = r < 0 ? r : r2;
        free(ca.user);
    }
    if (r < 0)
        ql_error_prefix(err, "%s: ", t->src.path ? t->src.path : "devices/tpm");
    return r;
}

static void record_state(void *ctx)
{
    sup_write_state(ctx);
}

int sup_prepare_tpm(struct sup *s, struct ql_error *err)
{
    if (!s->dom->dev.n_tpms)
        return 0;
    const struct dom_tpm *t = &s->dom->dev.tpms[0];
    const char *where = t->src.path ? t->src.path : "devices/tpm";
    struct stat st;
    if (t->backend == DOM_TPM_PASSTHROUGH) {
        const char *dev = s->build.tpm_device;
        if (stat(dev, &st) < 0 || !S_ISCHR(st.st_mode))
            return ql_error_set(err, ENODEV, "%s: the host TPM '%s' does not exist on this host "
                                "(line %d); use <backend type='emulator'> (swtpm) instead",
                                where, dev, t->src.line);
        return 0;
    }
    if (access(SWTPM, X_OK) < 0 || access(SWTPM_SETUP, X_OK) < 0)
        return ql_error_set(err, ENOENT, "%s: an emulated TPM needs %s and %s (line %d); "
                            "install swtpm and swtpm-tools", where, SWTPM, SWTPM_SETUP,
                            t->src.line);
    _cleanup_free_ char *dir = NULL;
    int r = prepare_state(s, t, &dir, err);
    if (r < 0 || (r = run_setup(s, t, dir, err)) < 0)
        return r;
    /* The supervisor binds the control socket and swtpm inherits it: QEMU can connect as
     * soon as it starts, with nothing to wait for. */
    const char *sock = s->build.tpm_socket;
    _cleanup_close_ int lfd = sup_bind_unix(sock, 1, err);
    if (lfd < 0)
        return lfd;
    if (s->dac.drop && chown(sock, s->dac.uid, s->dac.gid) < 0)
        return ql_error_errno(err, errno, "cannot give '%s' to user '%s'", sock, s->dac.user);
    _cleanup_free_ char *state = xasprintf("dir=%s,mode=0600", dir);
    const char *argv[] = {SWTPM, "socket", "--ctrl", "type=unixio,fd=3", "--tpmstate", state,
                          "--terminate", t->version == DOM_TPM_VERSION_1_2 ? NULL : "--tpm2",
                          NULL};
    struct sup_helper_spec spec = {
        .name = "swtpm", .argv = (char *const *)argv, .fds = &lfd, .n_fds = 1,
        .out_fd = s->log_fd, .dac = &s->dac, .socket = sock,
        .remove_dir = t->persistent_state == DOM_TRI_OFF ? dir : NULL};
    if ((r = sup_helper_spawn(&s->st, &spec, record_state, s, err)) < 0)
        return r;
    const struct sup_helper *h = &s->st.helpers[s->st.n_helpers - 1];
    sup_log(s, "TPM: swtpm pid %ld on %s, state in %s%s", (long)h->pid, sock, dir,
            s->dac.drop ? " (as QEMU's user)" : "");
    return 0;
}

void sup_log_cb(void *ctx, const char *msg)
{
    sup_log(ctx, "%s", msg);
}

void sup_stop_helpers(struct sup *s)
{
    sup_helpers_stop(&s->st, sup_log_cb, s);
}
