/* The fake sysfs PCI tree and kernel (fakepci.h). */
#include "config.h"
#include "tests/fakepci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strbuf.h"

static void mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *s = buf + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(buf, 0755);
            *s = '/';
        }
    mkdir(buf, 0755);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *get(const char *path)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    return xstrdup(buf);
}

void tu_fakepci_driver(const char *root, const char *name)
{
    _cleanup_free_ char *dir = xasprintf("%s/bus/pci/drivers/%s", root, name);
    mkdirs(dir);
    _cleanup_free_ char *bind = xasprintf("%s/bind", dir), *unbind = xasprintf("%s/unbind", dir);
    put(bind, "");
    put(unbind, "");
}

static void link_driver(const char *root, const char *addr, const char *driver)
{
    _cleanup_free_ char *link = xasprintf("%s/bus/pci/devices/%s/driver", root, addr);
    unlink(link);
    if (!driver)
        return;
    _cleanup_free_ char *target = xasprintf("../../drivers/%s", driver);
    if (symlink(target, link) < 0)
        perror("fakepci: symlink");
}

void tu_fakepci_device(const char *root, const char *addr, unsigned group, const char *driver,
                       const char *native)
{
    _cleanup_free_ char *dir = xasprintf("%s/bus/pci/devices/%s", root, addr);
    mkdirs(dir);
    _cleanup_free_ char *ovr = xasprintf("%s/driver_override", dir);
    put(ovr, "");
    _cleanup_free_ char *probe = xasprintf("%s/bus/pci/drivers_probe", root);
    put(probe, "");
    _cleanup_free_ char *natdir = xasprintf("%s/.native", root);
    mkdirs(natdir);
    _cleanup_free_ char *nat = xasprintf("%s/%s", natdir, addr);
    put(nat, native ? native : "");
    if (driver)
        tu_fakepci_driver(root, driver);
    if (native)
        tu_fakepci_driver(root, native);
    link_driver(root, addr, driver);
    if (!group)
        return;
    _cleanup_free_ char *gdir = xasprintf("%s/kernel/iommu_groups/%u/devices", root, group);
    mkdirs(gdir);
    _cleanup_free_ char *glink = xasprintf("%s/%s", gdir, addr);
    _cleanup_free_ char *gtarget = xasprintf("../../../../bus/pci/devices/%s", addr);
    _cleanup_free_ char *dlink = xasprintf("%s/iommu_group", dir);
    _cleanup_free_ char *dtarget = xasprintf("../../../../kernel/iommu_groups/%u", group);
    if (symlink(gtarget, glink) < 0 || symlink(dtarget, dlink) < 0)
        perror("fakepci: symlink");
}

char *tu_fakepci_driver_of(const char *root, const char *addr)
{
    _cleanup_free_ char *link = xasprintf("%s/bus/pci/devices/%s/driver", root, addr);
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    const char *slash = strrchr(target, '/');
    return xstrdup(slash ? slash + 1 : target);
}

/* ---- the kernel ---- */

struct watch {
    int wd;
    char *path;
    char *driver;       /* NULL: drivers_probe */
    bool bind;
};

static void kernel_log(const char *root, const char *what, const char *addr, const char *prep,
                       const char *driver)
{
    _cleanup_free_ char *path = xasprintf("%s/.kernel.log", root);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s %s %s %s\n", what, addr, prep, driver);
        fclose(f);
    }
}

static void act(const char *root, const struct watch *w)
{
    _cleanup_free_ char *addr = get(w->path);
    if (!*addr)
        return;     /* our own truncation, or an empty write */
    put(w->path, "");
    _cleanup_free_ char *dev = xasprintf("%s/bus/pci/devices/%s", root, addr);
    struct stat st;
    if (stat(dev, &st) < 0)
        return;
    _cleanup_free_ char *now = tu_fakepci_driver_of(root, addr);
    if (w->driver && !w->bind) {
        if (now && STREQ(now, w->driver)) {
            link_driver(root, addr, NULL);
            kernel_log(root, "unbind", addr, "from", w->driver);
        }
        return;
    }
    if (now)
        return;     /* already bound: bind and probe do nothing */
    _cleanup_free_ char *ovr_path = xasprintf("%s/driver_override", dev);
    _cleanup_free_ char *ovr = get(ovr_path);
    _cleanup_free_ char *nat_path = xasprintf("%s/.native/%s", root, addr);
    _cleanup_free_ char *nat = get(nat_path);
    const char *to = w->driver ? w->driver : *ovr ? ovr : *nat ? nat : NULL;
    /* An override restricts binding to that driver, as in pci_match_device. */
    if (!to || (*ovr && !STREQ(ovr, to)))
        return;
    _cleanup_free_ char *drv = xasprintf("%s/bus/pci/drivers/%s", root, to);
    if (stat(drv, &st) < 0)
        return;
    link_driver(root, addr, to);
    kernel_log(root, "bind", addr, "to", to);
}

static void kernel_run(const char *root, int ready_fd)
{
    int in = inotify_init1(IN_CLOEXEC);
    struct watch w[64];
    size_t n = 0;
    _cleanup_free_ char *probe = xasprintf("%s/bus/pci/drivers_probe", root);
    w[n] = (struct watch){inotify_add_watch(in, probe, IN_CLOSE_WRITE), xstrdup(probe), NULL,
                          false};
    n++;
    _cleanup_free_ char *drivers = xasprintf("%s/bus/pci/drivers", root);
    DIR *d = opendir(drivers);
    for (struct dirent *e; d && (e = readdir(d)) && n + 2 <= ARRAY_SIZE(w);) {
        if (e->d_name[0] == '.')
            continue;
        for (int b = 0; b < 2; b++) {
            char *path = xasprintf("%s/%s/%s", drivers, e->d_name, b ? "bind" : "unbind");
            w[n] = (struct watch){inotify_add_watch(in, path, IN_CLOSE_WRITE), path,
                                  xstrdup(e->d_name), b == 1};
            n++;
        }
    }
    if (d)
        closedir(d);
    if (write(ready_fd, "", 1) < 0)
        _exit(1);
    close(ready_fd);
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(in, buf, sizeof(buf));
        if (len <= 0 && errno != EINTR)
            _exit(1);
        for (char *p = buf; len > 0 && p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            for (size_t i = 0; i < n; i++)
                if (w[i].wd == ev->wd)
                    act(root, &w[i]);
            p += sizeof(*ev) + ev->len;
        }
    }
}

pid_t tu_fakepci_kernel_start(const char *root)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        kernel_run(root, p[1]);
        _exit(0);
    }
    close(p[1]);
    char c;
    if (pid < 0 || read(p[0], &c, 1) != 1) {
        close(p[0]);
        return -1;
    }
    close(p[0]);
    return pid;
}

void tu_fakepci_kernel_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}
