#!/bin/sh
# Records the QMP transcripts in tests/qmp/*.replies from the real QEMU on this machine.
# Usage: tests/qmp/record.sh [OUTDIR] [SCENARIO...]   (default OUTDIR: the script's directory)
# Needs qemu-system-x86_64 (run with -accel tcg) and python3. See tests/qmp/README.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
[ $# -gt 0 ] && shift
work=/tmp/qlaunch-qmp-record
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

QEMU=${QEMU:-qemu-system-x86_64} WORK="$work" OUT="$out" python3 - "$@" <<'PY'
import json, os, socket, subprocess, sys, time

QEMU, WORK, OUT = os.environ["QEMU"], os.environ["WORK"], os.environ["OUT"]
# Tiny firmware images: 64 KiB of zeros with a few instructions at the reset vector.
def mkbios(name, code):
    img = bytearray(65536)
    img[0xfff0:0xfff0 + len(code)] = code
    with open("%s/%s" % (WORK, name), "wb") as f:
        f.write(img)
# mov al,1; mov dx,0x505; out dx,al; hlt; jmp $-1   (pvpanic: "guest panicked")
mkbios("panic.bin", bytes.fromhex("b001ba0505eef4ebfd"))
# mov al,6; mov dx,0xcf9; out dx,al; hlt; jmp $-1   (PIIX reset control: hard reset)
mkbios("reset.bin", bytes.fromhex("b006baf90ceef4ebfd"))

BASE = ["-S", "-nodefaults", "-no-user-config", "-display", "none", "-accel", "tcg", "-m", "16"]

def C(name, args=None):
    return ("cmd", name, args)
def EV(*names):
    return ("events", names)
EOF_ = ("eof",)
def SLEEP(secs):
    return ("sleep", secs)

SCENARIOS = {
    "handshake": ([], []),
    "query-status": ([], [C("query-status"), C("cont"), C("query-status"), C("stop"),
                          C("query-status")]),
    "query-version": ([], [C("query-version")]),
    "lifecycle": ([], [C("cont"), C("system_reset"), EV("RESET"), C("system_powerdown"),
                       EV("POWERDOWN"), C("stop"), C("quit"), EOF_]),
    "set-action": ([], [C("set-action", {"reboot": "shutdown", "shutdown": "pause",
                                         "panic": "pause", "watchdog": "debug"}),
                        C("set-action", {"reboot": "reset"}),
                        C("set-action", {"panic": "bogus"})]),
    "cont-error": (["-no-reboot", "-no-shutdown"],
                   [C("cont"), C("system_reset"), EV("SHUTDOWN"), C("query-status"), C("cont")]),
    "unknown-command": ([], [C("no-such-command"), C("query-status")]),
    "set-password": (["-vnc", "unix:%s/vnc.sock,password=on" % WORK],
                     [C("set_password", {"protocol": "vnc", "password": "s3cret-pw"}),
                      C("set_password", {"protocol": "vnc", "password": "other-pw",
                                         "connected": "keep"}),
                      C("expire_password", {"protocol": "vnc", "time": "never"}),
                      C("expire_password", {"protocol": "vnc", "time": "+60"}),
                      C("set_password", {"protocol": "spice", "password": "x"})]),
    "dump": ([], [C("dump-guest-memory", {"paging": False,
                                          "protocol": "file:%s/guest.dump" % WORK}),
                  C("dump-guest-memory", {"paging": False, "protocol": "file:%s/guest.dump2" % WORK,
                                          "detach": True, "format": "elf"}),
                  EV("DUMP_COMPLETED")]),
    "chardev": (["-chardev", "pty,id=charserial0", "-chardev", "null,id=null0",
                 "-chardev", "socket,id=charchannel0,path=%s/ch.sock,server=on,wait=off" % WORK,
                 "-device", "isa-serial,chardev=charserial0,id=serial0"],
                [C("query-chardev")]),
    "pci": (["-device", "pci-bridge,id=pci.1,chassis_nr=1,addr=0x5",
             "-device", "virtio-rng-pci,id=rng0,bus=pci.1,addr=0x3",
             "-device", "virtio-balloon-pci,id=balloon0,addr=0x6",
             "-device", "e1000,id=net0,mac=52:54:00:12:34:56,addr=0x3"],
            # let SeaBIOS number the bridge's secondary bus first
            [C("cont"), SLEEP(1.5), C("stop"), C("query-pci")]),
    "panic": (["-bios", "%s/panic.bin" % WORK, "-device", "pvpanic", "-action", "panic=pause"],
              [C("cont"), EV("GUEST_PANICKED", "STOP"), C("query-status"), C("quit"), EOF_]),
    "panic-poweroff": (["-bios", "%s/panic.bin" % WORK, "-device", "pvpanic"],
                       [C("cont"), EV("GUEST_PANICKED", "SHUTDOWN"), EOF_]),
    "guest-reset": (["-bios", "%s/reset.bin" % WORK, "-no-reboot"],
                    [C("cont"), EV("SHUTDOWN"), EOF_]),
    "device-deleted": (["-device", "qemu-xhci,id=usb", "-device", "usb-kbd,id=kbd0,bus=usb.0",
                        "-device", "usb-tablet,bus=usb.0"],
                       [C("cont"), C("device_del", {"id": "kbd0"}), EV("DEVICE_DELETED"),
                        C("device_del", {"id": "/machine/peripheral-anon/device[0]"}),
                        EV("DEVICE_DELETED")]),
    # raw over blkdebug: the raw driver raises blkdebug's read_aio event on each read, so
    # SeaBIOS' first read of the disk fails with EIO.
    "block-io-error": (["-blockdev", json.dumps({
                            "driver": "raw", "node-name": "disk0-fmt",
                            "file": {"driver": "blkdebug", "node-name": "dbg0",
                                     "inject-error": [{"event": "read_aio", "errno": 5}],
                                     "image": {"driver": "null-co", "size": 1048576}}}),
                        "-device", "ide-hd,drive=disk0-fmt,id=disk0,bus=ide.0",
                        "-boot", "strict=on"],
                       [C("cont"), EV("BLOCK_IO_ERROR"), C("quit"), EOF_]),
}

def record(name, extra, steps):
    sock = "%s/%s.qmp" % (WORK, name)
    log = open("%s/%s.stderr" % (WORK, name), "w")
    qemu = subprocess.Popen([QEMU] + BASE + extra +
                            ["-chardev", "socket,id=qmp,path=%s,server=on,wait=off" % sock,
                             "-mon", "chardev=qmp,mode=control"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    s = socket.socket(socket.AF_UNIX)
    for _ in range(1000):
        try:
            s.connect(sock)
            break
        except OSError:
            time.sleep(0.01)
    try:
        record_steps(name, extra, steps, s)
    finally:
        s.close()
        if qemu.poll() is None:
            qemu.terminate()    # scenarios without 'quit' end here
        try:
            qemu.wait(10)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()

def record_steps(name, extra, steps, s):
    s.settimeout(20)
    f = s.makefile("rb")
    lines = ["# %s: recorded by tests/qmp/record.sh from %s" % (name, QEMU),
             "# qemu args: %s" % " ".join(BASE + extra)]
    seen = []
    def recv():
        try:
            raw = f.readline()
        except ConnectionResetError:
            raw = b""
        if not raw:
            lines.append("! eof")
            return None
        text = raw.decode().rstrip("\r\n")
        lines.append("<- " + text)
        msg = json.loads(text)
        if "event" in msg:
            seen.append(msg["event"])
        return msg
    next_id = [1]
    def cmd(execute, args=None):
        m = {"execute": execute}
        if args is not None:
            m["arguments"] = args
        m["id"] = next_id[0]
        next_id[0] += 1
        lines.append("-> " + json.dumps(m))
        s.sendall((json.dumps(m) + "\r\n").encode())
        while True:
            r = recv()
            if r is None or r.get("id") == m["id"]:
                return r
    recv()                              # greeting
    cmd("qmp_capabilities")
    for st in steps:
        if st[0] == "cmd":
            cmd(st[1], st[2])
        elif st[0] == "events":
            want = list(st[1])
            s.settimeout(5)
            while want:
                for n in list(seen):
                    if n in want:
                        want.remove(n)
                    seen.remove(n)
                try:
                    if want and recv() is None:
                        break
                except TimeoutError:
                    sys.exit("%s: events %s did not arrive; got:\n%s" % (name, want, "\n".join(lines[2:])))
            s.settimeout(20)
        elif st[0] == "sleep":
            time.sleep(st[1])
        elif st[0] == "eof":
            while recv() is not None:
                pass
    with open("%s/%s.replies" % (OUT, name), "w") as o:
        o.write("\n".join(lines) + "\n")
    print("recorded %s.replies (%d lines)" % (name, len(lines)))

for name in (sys.argv[1:] or SCENARIOS):
    record(name, *SCENARIOS[name])
PY
