#include "config.h"
#include "supervise/probe.h"
#include "supervise/state.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *sup_qemu_lock_path(const struct sup_paths *p)
{
    return xasprintf("%s/qemu.lock", p->dir);
}

/* True when somebody holds an exclusive flock on path. A shared probe lock conflicts
 * with it without ever being able to keep a holder out for long. */
static bool lock_held(const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0)
        return errno == EWOULDBLOCK;
    flock(fd, LOCK_UN);
    return false;
}

pid_t sup_find_file_holder(const char *path)
{
    struct stat want;
    if (stat(path, &want) < 0)
        return 0;
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    pid_t found = 0, self = getpid();
    struct dirent *e;
    while (!found && (e = readdir(proc))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == self)
            continue;
        _cleanup_free_ char *fddir = xasprintf("/proc/%ld/fd", pid);
        DIR *fds = opendir(fddir);
        if (!fds)
            continue;
        struct dirent *f;
        while ((f = readdir(fds))) {
            if (f->d_name[0] == '.')
                continue;
            struct stat st;
            if (fstatat(dirfd(fds), f->d_name, &st, 0) == 0 && st.st_dev == want.st_dev &&
                st.st_ino == want.st_ino) {
                found = (pid_t)pid;
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    return found;
}

void sup_probe(const struct sup_paths *p, struct sup_probe *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->supervisor = lock_held(p->lock);
    struct sup_status st;
    if (sup_status_read(p->state, &st, NULL) == 0) {
        if (st.qemu_pid > 0 && st.qemu_start_time &&
            sup_proc_matches(st.qemu_pid, st.qemu_start_time)) {
            ret->qemu_pid = st.qemu_pid;
            ret->qemu_start_time = st.qemu_start_time;
            ret->state_ok = true;
        }
        sup_status_clear(&st);
    }
    if (ret->qemu_pid)
        return;
    _cleanup_free_ char *lock = sup_qemu_lock_path(p);
    if (!lock_held(lock))
        return;
    pid_t pid = sup_find_file_holder(lock);
    unsigned long long start = pid > 0 ? sup_proc_start_time(pid) : 0;
    if (pid > 0 && start && sup_proc_matches(pid, start)) {
        ret->qemu_pid = pid;
        ret->qemu_start_time = start;
    }
}
