/* tests/func/hostdev.sh's kernel: builds a fake sysfs PCI tree in ROOT and plays the
 * kernel on it (tests/fakepci.h) until killed.
 * Usage: fake-pci-kernel ROOT ADDR:GROUP:DRIVER... (DRIVER '-': none; GROUP 0: none).
 * Prints "ready" once it watches the tree. */
#include "config.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fakepci.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 77;
    tu_fakepci_driver(argv[1], "vfio-pci");
    for (int i = 2; i < argc; i++) {
        char addr[32], driver[64];
        unsigned group;
        if (sscanf(argv[i], "%12[0-9a-f:.]:%u:%63s", addr, &group, driver) != 3) {
            fprintf(stderr, "fake-pci-kernel: bad device '%s'\n", argv[i]);
            return 2;
        }
        const char *d = strcmp(driver, "-") ? driver : NULL;
        tu_fakepci_device(argv[1], addr, group, d, d);
    }
    pid_t k = tu_fakepci_kernel_start(argv[1]);
    if (k < 0)
        return 1;
    printf("ready\n");
    fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    tu_fakepci_kernel_stop(k);
    return 0;
}
