#include "config.h"
#include "util/fileio.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ql_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
                 struct ql_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot open '%s'", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ql_error_errno(err, errno, "cannot stat '%s'", path);
    if (S_ISDIR(st.st_mode))
        return ql_error_set(err, EISDIR, "'%s' is a directory, not a file", path);
    if (S_ISREG(st.st_mode) && (size_t)st.st_size > max)
        return ql_error_set(err, EFBIG, "'%s' is %lld bytes, over the %zu byte limit",
                            path, (long long)st.st_size, max);
    size_t cap = 65536, len = 0;
    _cleanup_free_ char *buf = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > max)
                return ql_error_set(err, EFBIG, "'%s' is over the %zu byte limit", path, max);
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return ql_error_errno(err, errno, "cannot read '%s'", path);
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max)
            return ql_error_set(err, EFBIG, "'%s' is over the %zu byte limit", path, max);
    }
    buf[len] = '\0';
    *ret_data = steal_pointer(&buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

static int write_replace(const char *path, const void *data, size_t len, mode_t mode,
                         bool durable, struct ql_error *err)
{
    _cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot create '%s'", tmp);
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return ql_error_errno(err, e, "cannot write '%s'", tmp);
        }
        p += w;
        left -= (size_t)w;
    }
    int fe = fchmod(fd, mode) < 0 || (durable && fsync(fd) < 0) ? errno : 0;
    if (close(fd) < 0 && !fe)
        fe = errno;
    if (fe) {
        unlink(tmp);
        return ql_error_errno(err, fe, "cannot finish '%s'", tmp);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return ql_error_errno(err, e, "cannot rename '%s' to '%s'", tmp, path);
    }
    return 0;
}

int ql_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct ql_error *err)
{
    return write_replace(path, data, len, mode, true, err);
}

int ql_write_file_runtime(const char *path, const void *data, size_t len, mode_t mode,
                          struct ql_error *err)
{
    return write_replace(path, data, len, mode, false, err);
}
