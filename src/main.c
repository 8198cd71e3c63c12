/* qlaunch: run a QEMU virtual machine from libvirt domain XML, without libvirt. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"

#include <stdio.h>
#include <string.h>

struct verb {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    {"validate", cmd_validate, "check domain XML files and report every problem"},
    {"argv", cmd_argv, "print the QEMU command line for a domain"},
    {"create", cmd_create, "start a domain from its XML and supervise it"},
    {"start", cmd_start, "start a defined domain (or, as create, one from its XML file)"},
    {"list", cmd_list, "list running domains (--all: also the last outcome of stopped ones)"},
    {"dominfo", cmd_dominfo, "show a domain's state, resources and files"},
    {"domdisplay", cmd_domdisplay, "print the SPICE/VNC URI of a running domain"},
    {"domstate", cmd_domstate, "show a domain's state (--reason: and why)"},
    {"shutdown", cmd_shutdown, "power the guest off: ACPI button or --mode agent (--timeout S)"},
    {"reboot", cmd_reboot, "reboot the guest (power off, then reset, as libvirt does)"},
    {"destroy", cmd_destroy, "stop QEMU now (SIGTERM, then SIGKILL after a grace period)"},
    {"suspend", cmd_suspend, "pause the guest's vCPUs"},
    {"resume", cmd_resume, "resume a suspended guest"},
    {"console", cmd_console, "attach to the serial console (Ctrl-] leaves)"},
    {"qmp", cmd_qmp, "send a raw QMP command to the domain's QEMU"},
    {"events", cmd_events, "stream the domain's lifecycle events as JSON lines"},
    {"domblklist", cmd_domblklist, "list a domain's disks and their current media"},
    {"domiflist", cmd_domiflist, "list a domain's network interfaces"},
    {"domblkstat", cmd_domblkstat, "I/O statistics of a disk (or of all disks)"},
    {"domifstat", cmd_domifstat, "traffic statistics of a network interface"},
    {"dommemstat", cmd_dommemstat, "memory statistics (balloon, guest, QEMU's RSS)"},
    {"vcpuinfo", cmd_vcpuinfo, "the vCPUs' host threads, CPUs, times and affinity"},
    {"dumpxml", cmd_dumpxml, "print a domain's XML (--inactive: its stored definition)"},
    {"change-media", cmd_change_media, "eject, insert or update a CD-ROM or floppy medium"},
    {"send-key", cmd_send_key, "send keystrokes to the guest"},
    {"screenshot", cmd_screenshot, "save a PNG of the guest's display"},
    {"setmem", cmd_setmem, "change the guest's memory with the balloon"},
    {"qemu-agent-command", cmd_qemu_agent_command, "send a command to the guest agent"},
    {"domifaddr", cmd_domifaddr, "the guest's IP addresses (from the guest agent or ARP)"},
    {"domfsfreeze", cmd_domfsfreeze, "freeze the guest's file systems (guest agent)"},
    {"domfsthaw", cmd_domfsthaw, "thaw the guest's file systems (guest agent)"},
    {"attach-device", cmd_attach_device, "hot-plug a device from its XML (disk, NIC, input)"},
    {"detach-device", cmd_detach_device, "hot-unplug a device named by its XML"},
    {"attach-disk", cmd_attach_disk, "hot-plug a disk image"},
    {"detach-disk", cmd_detach_disk, "hot-unplug a disk by its target"},
    {"attach-interface", cmd_attach_interface, "hot-plug a network interface"},
    {"detach-interface", cmd_detach_interface, "hot-unplug a network interface"},
    {"setvcpus", cmd_setvcpus, "change the number of live vCPUs (--live)"},
    {"define", cmd_define, "store a domain's XML (validated) as a persistent definition"},
    {"undefine", cmd_undefine, "remove a definition (--nvram, --tpm: and its NVRAM, TPM state)"},
    {"autostart", cmd_autostart, "start a defined domain at boot (--disable: not any more)"},
    {"edit", cmd_edit, "edit a definition with $EDITOR; it is validated before it is stored"},
    {"snapshot-create-as", cmd_snapshot_create_as, "take an internal snapshot (disks and VM "
     "state)"},
    {"snapshot-list", cmd_snapshot_list, "list a domain's snapshots"},
    {"snapshot-info", cmd_snapshot_info, "show a snapshot's details"},
    {"snapshot-revert", cmd_snapshot_revert, "bring the domain back to a snapshot"},
    {"snapshot-delete", cmd_snapshot_delete, "delete a snapshot"},
    {"save", cmd_save, "save the domain's state to a file and stop it"},
    {"restore", cmd_restore, "start a domain from a file written by save"},
    {"import-libvirt", cmd_import_libvirt, "take a domain over from libvirt: its definition, "
     "NVRAM and TPM state"},
};

const char *qlaunch_verb_summary(const char *verb)
{
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(verb, verbs[i].name) == 0)
            return verbs[i].summary;
    return NULL;
}

static void usage(FILE *f)
{
    fputs("Usage: qlaunch [--help] [--version] VERB [ARGS...]\n\nVerbs:\n", f);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
    fputs("\nSee qlaunch(1) for details; 'qlaunch VERB --help' for a verb's options.\n", f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("qlaunch %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "qlaunch: unknown verb '%s' (see 'qlaunch --help')\n", argv[1]);
    return CLI_EXIT_USAGE;
}
