/* Firmware descriptors and NVRAM files; see firmware.h. */
#include "config.h"
#include "host/firmware.h"
#include "host/interop.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One descriptor, reduced to what matching needs. */
struct fw_desc {
    char *path;
    bool uefi, flash_split, raw;
    char *executable, *nvram_template;
    bool x86_match;             /* a target for x86_64 matches the machine type */
    bool secure_boot, enrolled_keys, requires_smm, acpi_s3, acpi_s4;
};

static void fw_desc_clear(struct fw_desc *f)
{
    free(f->path);
    free(f->executable);
    free(f->nvram_template);
    memset(f, 0, sizeof(*f));
}

/* libvirt expands "pc" and "q35" to the newest versioned machine type before matching;
 * without probing QEMU, a pattern must then match the versioned family as a whole. */
static bool machine_matches(const char *pattern, const char *machine)
{
    if (fnmatch(pattern, machine, 0) == 0)
        return true;
    const char *alias = STREQ(machine, "pc") ? "pc-i440fx-*" : STREQ(machine, "q35") ? "pc-q35-*"
                                                                                   : NULL;
    return alias && fnmatch(pattern, alias, 0) == 0;
}

/* Parses one descriptor; a file that is not a usable descriptor gives false (skipped, as
 * libvirt skips what it cannot use; a broken JSON file is an error though). */
static int fw_desc_load(const char *path, const char *machine, struct fw_desc *f,
                        struct ql_error *err)
{
    memset(f, 0, sizeof(*f));
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    int r = ql_read_file(path, HOST_FIRMWARE_DESCRIPTOR_MAX, &data, &len, err);
    if (r < 0)
        return r;
    json_object *o = json_tokener_parse(data);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return ql_error_set(err, EINVAL, "the firmware descriptor '%s' is not a JSON object",
                            path);
    }
    f->path = xstrdup(path);
    f->uefi = ql_json_array_has_str(ql_json_get(o, "interface-types", json_type_array), "uefi");
    json_object *map = ql_json_get(o, "mapping", json_type_object);
    const char *dev = ql_json_str(map, "device", NULL);
    const char *mode = ql_json_str(map, "mode", NULL);
    f->flash_split = dev && STREQ(dev, "flash") && (!mode || STREQ(mode, "split"));
    json_object *exe = ql_json_get(map, "executable", json_type_object);
    json_object *tmpl = ql_json_get(map, "nvram-template", json_type_object);
    const char *ef = ql_json_str(exe, "format", NULL), *tf = ql_json_str(tmpl, "format", NULL);
    f->raw = (!ef || STREQ(ef, "raw")) && (!tf || STREQ(tf, "raw"));
    const char *exe_file = ql_json_str(exe, "filename", NULL);
    const char *tmpl_file = ql_json_str(tmpl, "filename", NULL);
    f->executable = exe_file ? xstrdup(exe_file) : NULL;
    f->nvram_template = tmpl_file ? xstrdup(tmpl_file) : NULL;
    json_object *targets = ql_json_get(o, "targets", json_type_array);
    for (size_t i = 0; targets && i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i);
        const char *arch = ql_json_str(t, "architecture", NULL);
        json_object *ms = ql_json_get(t, "machines", json_type_array);
        if (!arch || !STREQ(arch, "x86_64"))
            continue;
        for (size_t k = 0; ms && k < json_object_array_length(ms); k++) {
            json_object *m = json_object_array_get_idx(ms, k);
            if (json_object_is_type(m, json_type_string)
                && machine_matches(json_object_get_string(m), machine))
                f->x86_match = true;
        }
    }
    json_object *feats = ql_json_get(o, "features", json_type_array);
    f->secure_boot = ql_json_array_has_str(feats, "secure-boot");
    f->enrolled_keys = ql_json_array_has_str(feats, "enrolled-keys");
    f->requires_smm = ql_json_array_has_str(feats, "requires-smm");
    f->acpi_s3 = ql_json_array_has_str(feats, "acpi-s3");
    f->acpi_s4 = ql_json_array_has_str(feats, "acpi-s4");
    json_object_put(o);
    return 0;
}

static bool tri_ok(enum dom_tristate want, bool has)
{
    return want == DOM_TRI_DEFAULT || (want == DOM_TRI_ON) == has;
}

/* qemuFirmwareMatchDomain, for the criteria qlaunch's domains can express. */
static bool fw_desc_matches(const struct domain *d, const struct fw_desc *f)
{
    const struct dom_os *os = &d->os;
    if (!f->uefi || !f->flash_split || !f->raw || !f->executable || !f->x86_match)
        return false;
    if (!tri_ok(os->fw_secure_boot, f->secure_boot)
        || !tri_ok(os->fw_enrolled_keys, f->enrolled_keys))
        return false;
    if (os->loader_secure == DOM_TRI_ON
        && (!f->requires_smm || (os->fw_secure_boot != DOM_TRI_OFF && !f->secure_boot)))
        return false;
    if (os->loader_secure == DOM_TRI_OFF && (f->requires_smm || f->secure_boot))
        return false;
    if (d->features.f[DOM_FEAT_SMM] == DOM_TRI_OFF && f->requires_smm)
        return false;
    if ((d->pm_suspend_to_mem == DOM_TRI_ON && !f->acpi_s3)
        || (d->pm_suspend_to_disk == DOM_TRI_ON && !f->acpi_s4))
        return false;
    if (os->loader && !STREQ(os->loader, f->executable))
        return false;
    if (os->nvram_template && (!f->nvram_template || !STREQ(os->nvram_template,
                                                            f->nvram_template)))
        return false;
    return true;
}

static int fw_list(char ***ret, size_t *ret_n, char **ret_dirs_text, struct ql_error *err)
{
    return host_interop_list("firmware", "QLAUNCH_FIRMWARE_DIRS", ret, ret_n, ret_dirs_text, err);
}

char *host_firmware_vars_template(const char *loader)
{
    if (!loader)
        return NULL;
    char **paths = NULL;
    size_t n = 0;
    _cleanup_free_ char *dirs = NULL;
    struct ql_error e = QL_ERROR_INIT;
    char *found = NULL;
    if (fw_list(&paths, &n, &dirs, &e) == 0) {
        for (size_t i = 0; i < n && !found; i++) {
            struct fw_desc f;
            if (fw_desc_load(paths[i], "pc", &f, &e) == 0 && f.flash_split && f.executable
                && f.nvram_template && STREQ(f.executable, loader))
                found = xstrdup(f.nvram_template);
            ql_error_clear(&e);
            fw_desc_clear(&f);
        }
        host_interop_free(paths, n);
    }
    ql_error_clear(&e);
    if (found)
        return found;
    /* Debian's naming: OVMF_CODE_4M.ms.fd -> OVMF_VARS_4M.ms.fd, and for variants without
     * their own VARS (OVMF_CODE_4M.secboot.fd) the plain OVMF_VARS_4M.fd. */
    const char *base = strrchr(loader, '/');
    base = base ? base + 1 : loader;
    size_t bl = strlen(base);
    if (strncmp(base, "OVMF_CODE", 9) != 0 || bl < 12 || !STREQ(base + bl - 3, ".fd"))
        return NULL;
    int dirlen = (int)(base - loader);
    _cleanup_free_ char *same = xasprintf("%.*sOVMF_VARS%s", dirlen, loader, base + 9);
    if (access(same, R_OK) == 0)
        return steal_pointer(&same);
    const char *dot = strchr(base + 9, '.');
    _cleanup_free_ char *plain = xasprintf("%.*sOVMF_VARS%.*s.fd", dirlen, loader,
                                           (int)(dot - (base + 9)), base + 9);
    if (access(plain, R_OK) == 0)
        return steal_pointer(&plain);
    return NULL;
}

static char *wanted_text(const struct domain *d)
{
    struct strbuf sb = STRBUF_INIT;
    const struct dom_os *os = &d->os;
    if (os->fw_secure_boot != DOM_TRI_DEFAULT)
        sb_addf(&sb, ", secure-boot %s", os->fw_secure_boot == DOM_TRI_ON ? "on" : "off");
    if (os->fw_enrolled_keys != DOM_TRI_DEFAULT)
        sb_addf(&sb, ", enrolled-keys %s", os->fw_enrolled_keys == DOM_TRI_ON ? "on" : "off");
    if (os->loader_secure != DOM_TRI_DEFAULT)
        sb_addf(&sb, ", loader secure='%s'", os->loader_secure == DOM_TRI_ON ? "yes" : "no");
    if (d->features.f[DOM_FEAT_SMM] == DOM_TRI_OFF)
        sb_add(&sb, ", SMM off");
    if (d->pm_suspend_to_mem == DOM_TRI_ON)
        sb_add(&sb, ", suspend-to-mem");
    if (d->pm_suspend_to_disk == DOM_TRI_ON)
        sb_add(&sb, ", suspend-to-disk");
    if (os->loader)
        sb_addf(&sb, ", loader '%s'", os->loader);
    if (os->nvram_template)
        sb_addf(&sb, ", nvram template '%s'", os->nvram_template);
    return sb_steal(&sb);
}

int host_firmware_resolve(const struct domain *d, struct host_firmware *ret,
                          struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    const struct dom_os *os = &d->os;
    bool efi = os->firmware == DOM_FW_EFI;
    if (!efi) {
        bool pflash = os->loader && os->loader_type == DOM_LOADER_PFLASH;
        if (pflash && !os->nvram_template) {
            ret->resolved = true;
            ret->nvram_template = host_firmware_vars_template(os->loader);
        }
        return 0;
    }
    if (os->loader_type && os->loader_type != DOM_LOADER_PFLASH)
        return ql_error_set_at(err, EINVAL, "os/loader", 0, "firmware='efi' needs a pflash "
                               "loader, not type='%s'", dom_loader_type_to_string(os->loader_type));
    const char *machine = os->machine && *os->machine ? os->machine : "pc";
    char **paths = NULL;
    size_t n = 0;
    _cleanup_free_ char *dirs = NULL;
    int r = fw_list(&paths, &n, &dirs, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n && !ret->resolved; i++) {
        struct fw_desc f;
        if ((r = fw_desc_load(paths[i], machine, &f, err)) < 0)
            break;
        if (fw_desc_matches(d, &f)) {
            ret->resolved = true;
            ret->loader = steal_pointer(&f.executable);
            ret->nvram_template = steal_pointer(&f.nvram_template);
            ret->requires_smm = f.requires_smm;
            ret->descriptor = xstrdup(paths[i]);
        }
        fw_desc_clear(&f);
    }
    host_interop_free(paths, n);
    if (r < 0) {
        host_firmware_free(ret);
        return r;
    }
    if (!ret->resolved) {
        _cleanup_free_ char *want = wanted_text(d);
        return ql_error_set_at(err, ENOENT, "os@firmware", 0, "no firmware descriptor matches "
                               "'efi' for machine type '%s'%s (searched %s); install the ovmf "
                               "package or give <loader type='pflash'> and <nvram template>",
                               machine, want, n ? dirs : (dirs && *dirs ? dirs : "nothing"));
    }
    return 0;
}

void host_firmware_free(struct host_firmware *f)
{
    free(f->loader);
    free(f->nvram_template);
    free(f->descriptor);
    memset(f, 0, sizeof(*f));
}

/* ---- NVRAM ---- */

int host_nvram_prepare(const char *path, const char *template, bool *ret_created,
                       struct ql_error *err)
{
    *ret_created = false;
    struct stat st;
    if (lstat(path, &st) == 0)
        return 0;
    if (errno != ENOENT)
        return ql_error_errno_at(err, errno, "os/nvram", 0, "cannot check '%s'", path);
    if (!template)
        return ql_error_set_at(err, ENOENT, "os/nvram", 0, "'%s' does not exist and no VARS "
                               "template is known for the loader; give <nvram template='...'> "
                               "(Debian: /usr/share/OVMF/OVMF_VARS_4M.fd) or create the file",
                               path);
    _cleanup_close_ int in = open(template, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (in < 0)
        return ql_error_errno_at(err, errno, "os/nvram@template", 0, "cannot open '%s'",
                                 template);
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
        return ql_error_set_at(err, EINVAL, "os/nvram@template", 0, "'%s' is not a regular file",
                               template);
    _cleanup_free_ char *tmp = xasprintf("%s.XXXXXX", path);
    /* mkstemp creates the file 0600 */
    _cleanup_close_ int out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0)
        return ql_error_errno_at(err, errno, "os/nvram", 0, "cannot create a file next to '%s'",
                                 path);
    char buf[65536];
    int r = 0;
    for (;;) {
        ssize_t k = read(in, buf, sizeof(buf));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            r = ql_error_errno_at(err, errno, "os/nvram@template", 0, "cannot read '%s'",
                                  template);
            break;
        }
        if (k == 0)
            break;
        for (ssize_t off = 0; off < k;) {
            ssize_t w = write(out, buf + off, (size_t)(k - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                r = ql_error_errno_at(err, errno, "os/nvram", 0, "cannot write '%s'", tmp);
                break;
            }
            off += w;
        }
        if (r < 0)
            break;
    }
    if (r == 0 && (fchmod(out, 0600) < 0 || fsync(out) < 0))
        r = ql_error_errno_at(err, errno, "os/nvram", 0, "cannot write '%s'", tmp);
    /* link() never replaces: if another start created the file meanwhile, it stays. */
    if (r == 0) {
        if (link(tmp, path) == 0)
            *ret_created = true;
        else if (errno != EEXIST)
            r = ql_error_errno_at(err, errno, "os/nvram", 0, "cannot create '%s'", path);
    }
    unlink(tmp);
    return r;
}
