/* Fake QEMU for the QMP tests: replays a transcript, see fake-qemu.h and README. */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/qmp/fake-qemu.h"
#include "util/strbuf.h"

#define MAX_IDS 256

char **fake_lines_load(const char *name)
{
    const char *dir = getenv("QLAUNCH_TEST_SRCDIR");
    char *path = xasprintf("%s/tests/qmp/%s.replies", dir ? dir : ".", name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open transcript '%s': %s\n", path, strerror(errno));
        abort();
    }
    free(path);
    size_t n = 0, cap = 16;
    char **lines = xmalloc(cap * sizeof(*lines));
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (n + 2 > cap)
            lines = xrealloc(lines, (cap *= 2) * sizeof(*lines));
        lines[n++] = xstrdup(line);
    }
    lines[n] = NULL;
    free(line);
    fclose(f);
    return lines;
}

void fake_lines_free(char **lines)
{
    for (size_t i = 0; lines && lines[i]; i++)
        free(lines[i]);
    free(lines);
}

struct reader {
    int fd;
    char buf[65536];
    size_t len;
};

/* Reads one CRLF- or LF-terminated line; returns NULL at EOF. */
static char *read_line(struct reader *r)
{
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl) {
            size_t l = (size_t)(nl - r->buf);
            char *s = xstrndup(r->buf, l);
            memmove(r->buf, nl + 1, r->len - l - 1);
            r->len -= l + 1;
            return s;
        }
        if (r->len == sizeof(r->buf))
            return NULL;
        ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        r->len += (size_t)n;
    }
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "fake-qemu: write failed: %s\n", strerror(errno));
            _exit(5);
        }
        s += w;
        n -= (size_t)w;
    }
}

static int replay(char **lines, int fd)
{
    struct reader rd = {.fd = fd};
    int64_t rec_ids[MAX_IDS], real_ids[MAX_IDS];
    size_t nids = 0;
    for (size_t i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (strncmp(l, "! eof", 5) == 0)
            return 0;
        if (strncmp(l, "-> ", 3) == 0) {
            json_object *want = json_tokener_parse(l + 3);
            char *got_s = read_line(&rd);
            if (!got_s) {
                fprintf(stderr, "fake-qemu: EOF, expected %s\n", l);
                return 2;
            }
            json_object *got = json_tokener_parse(got_s);
            json_object *wa = NULL, *ga = NULL, *gid = NULL, *wid = NULL;
            json_object_object_get_ex(want, "arguments", &wa);
            json_object_object_get_ex(got, "arguments", &ga);
            const char *we = json_object_get_string(json_object_object_get(want, "execute"));
            const char *ge = json_object_get_string(json_object_object_get(got, "execute"));
            if (!got || !we || !ge || strcmp(we, ge) != 0 || !json_object_equal(wa, ga) ||
                !json_object_object_get_ex(got, "id", &gid) ||
                !json_object_object_get_ex(want, "id", &wid) || nids == MAX_IDS) {
                fprintf(stderr, "fake-qemu: line %zu: expected %s\n  got %s\n", i, l, got_s);
                return 3;
            }
            rec_ids[nids] = json_object_get_int64(wid);
            real_ids[nids++] = json_object_get_int64(gid);
            free(got_s);
            json_object_put(want);
            json_object_put(got);
        } else if (strncmp(l, "<- ", 3) == 0) {
            json_object *msg = json_tokener_parse(l + 3), *id;
            if (msg && json_object_object_get_ex(msg, "id", &id)) {
                int64_t rec = json_object_get_int64(id);
                for (size_t k = 0; k < nids; k++)
                    if (rec_ids[k] == rec)
                        json_object_object_add(msg, "id", json_object_new_int64(real_ids[k]));
                /* One write per message, like QEMU: a client may close right after it. */
                char *out = xasprintf("%s\r\n",
                                      json_object_to_json_string_ext(msg, JSON_C_TO_STRING_SPACED));
                write_all(fd, out, strlen(out));
                free(out);
            } else {
                char *out = xasprintf("%s\r\n", l + 3);
                write_all(fd, out, strlen(out));
                free(out);
            }
            json_object_put(msg);
        } else {
            fprintf(stderr, "fake-qemu: bad transcript line %zu: %s\n", i, l);
            return 4;
        }
    }
    /* End of transcript: the client must not send anything more, just close. */
    char *extra = read_line(&rd);
    if (extra) {
        fprintf(stderr, "fake-qemu: unexpected message after the transcript: %s\n", extra);
        return 6;
    }
    return 0;
}

pid_t fake_qemu_start(const char *name, int *ret_fd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    char **lines = fake_lines_load(name);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        close(sv[0]);
        signal(SIGPIPE, SIG_IGN);
        alarm(30);
        int rc = replay(lines, sv[1]);
        _exit(rc);
    }
    fake_lines_free(lines);
    close(sv[1]);
    *ret_fd = sv[0];
    return pid;
}

int fake_qemu_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
