/* qlaunch console NAME: relays the terminal to the domain's serial pty, whose path its
 * supervisor reports. Ctrl-] leaves; the console ends with QEMU. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "supervise/ctl-client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define ESCAPE_CHAR 0x1d    /* Ctrl-] */

/* Copies between the pty and stdin/stdout until the pty closes or the escape is typed. */
static void relay(int fd)
{
    bool tty = isatty(0);
    struct termios saved, raw;
    if (tty && tcgetattr(0, &saved) == 0) {
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
    }
    char buf[4096];
    bool in_open = true;
    for (;;) {
        struct pollfd pfd[2] = {{fd, POLLIN, 0}, {0, in_open ? POLLIN : 0, 0}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                break;   /* the pty closed: QEMU is gone */
            if (write(1, buf, (size_t)n) < 0)
                break;
        }
        if (pfd[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, buf, sizeof(buf));
            if (n <= 0) {
                in_open = false;
                continue;
            }
            char *esc = memchr(buf, ESCAPE_CHAR, (size_t)n);
            if (esc) {
                if (esc > buf && write(fd, buf, (size_t)(esc - buf)) < 0)
                    break;
                break;
            }
            if (write(fd, buf, (size_t)n) < 0)
                break;
        }
    }
    if (tty)
        tcsetattr(0, TCSANOW, &saved);
}

int console_attach(const struct ctl_target *t)
{
    struct sup_status st;
    struct ql_error err = QL_ERROR_INIT;
    if (ctl_status(t, &st, &err) < 0)
        return cli_fail_err(&err);
    if (!st.console_pty) {
        sup_status_clear(&st);
        return cli_fail("domain '%s' has no serial console on a pty (add <serial type='pty'>)",
                        t->name);
    }
    int fd = open(st.console_pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        cli_fail("cannot open the console '%s': %s", st.console_pty, strerror(e));
        sup_status_clear(&st);
        return CLI_EXIT_FAILURE;
    }
    struct termios pt;
    if (tcgetattr(fd, &pt) == 0) {
        cfmakeraw(&pt);
        tcsetattr(fd, TCSANOW, &pt);
    }
    fprintf(stderr, "Connected to domain '%s' (%s)\nEscape character is ^]\n", t->name,
            st.console_pty);
    sup_status_clear(&st);
    relay(fd);
    close(fd);
    fputc('\n', stderr);
    return 0;
}

static const struct cli_verb console_verb = CLI_DOMAIN_VERB(NULL);

int cmd_console(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &console_verb, argc, argv, NULL) < 0)
        return cli.status;
    struct ctl_target t = cli_target(&cli, cli.operands[0]);
    return console_attach(&t);
}
