#!/usr/bin/env python3
"""Real QEMU acceptance of the xml2argv golden cases.

For each CASE.xml: `qlaunch argv --json --accel tcg` gives the argv; paths under
/var/lib/qlaunch-test/ are moved into a temp dir, the disk images the -blockdev nodes name
are created with qemu-img, a listening QMP socket is passed as fd 3 (taps as the fds the
argv names, opened on /dev/net/tun when we may, else the case is skipped), QEMU starts
paused (-S is in every argv), and over QMP we check that every -device id exists, that
PCI devices sit at the slot/function the argv gives, that every -chardev exists, then quit.

Usage: qemu-accept.py QLAUNCH CASE.xml... ; exit 0 all passed or skipped, 1 on failure.
"""
import fcntl
import json
import re
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

PREFIX = "/var/lib/qlaunch-test/"
# Host directories the argv names that this harness moves into its temp dir (PREFIX to the
# temp root itself, every other one to a subdirectory named after it), and the accelerator
# `qlaunch argv` builds for (None: the XML's own <domain type>). tests/realworld/check.py
# sets both for XML as the real tools write it.
PREFIXES = [PREFIX]
ACCEL = "tcg"


def relocate(value, root):
    for p in PREFIXES:
        value = value.replace(p, root if p == PREFIX else root + p.strip("/").replace("/", "_") + "/")
    return value
EMULATOR = os.environ.get("QEMU", "/usr/bin/qemu-system-x86_64")
# <disk type='volume'> cases name the pools defined there (as tests/unit/test-xml2argv)
os.environ.setdefault("QLAUNCH_POOL_DIR", os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "pools"))
TIMEOUT = float(os.environ.get("QLAUNCH_ACCEPT_TIMEOUT", "30"))


TAPS = 0


def fake_bzimage(path):
    """Just enough of a Linux boot header for QEMU to load it (it never runs: -S)."""
    img = bytearray(64 * 1024)
    img[0x1f1] = 4                                  # setup_sects
    img[0x1fe:0x200] = b"\x55\xaa"
    img[0x202:0x206] = b"HdrS"
    img[0x206:0x208] = struct.pack("<H", 0x020c)    # boot protocol 2.12
    img[0x211] = 0x01                               # LOADED_HIGH
    img[0x22c:0x230] = struct.pack("<I", 0x37ffffff)  # initrd_addr_max
    img[0x238:0x23c] = struct.pack("<I", 2048)      # cmdline_size
    with open(path, "wb") as f:
        f.write(img)


class Skip(Exception):
    pass


VIRTIOFSD = "/usr/lib/qemu/virtiofsd"


def start_virtiofsd(sock, tmp):
    """virtiofsd (QEMU 7.2's, Debian's path) sharing an empty directory on the socket QEMU
    connects to; the socket is bound here and passed, as the supervisor does."""
    if not os.access(VIRTIOFSD, os.X_OK):
        raise Skip("needs %s (qemu-system-common)" % VIRTIOFSD)
    share = tempfile.mkdtemp(dir=tmp)
    os.makedirs(os.path.dirname(sock), exist_ok=True)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(sock)
    ls.listen(1)
    cmd = [VIRTIOFSD, "--fd=%d" % ls.fileno(), "-o", "source=%s,sandbox=chroot" % share]
    if os.geteuid() != 0:
        cmd = ["unshare", "--user", "--map-root-user"] + cmd
    log = open(os.path.join(tmp, "virtiofsd.log"), "w")
    d = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         pass_fds=(ls.fileno(),), start_new_session=True)
    ls.close()
    log.close()
    return d


def start_swtpm(sock, tmp, tpm2):
    """swtpm on the socket QEMU's TPM chardev connects to, as the supervisor starts it."""
    if not shutil.which("swtpm"):
        raise Skip("needs swtpm")
    state = tempfile.mkdtemp(dir=tmp)
    os.makedirs(os.path.dirname(sock), exist_ok=True)
    cmd = ["swtpm", "socket", "--tpmstate", "dir=" + state,
           "--ctrl", "type=unixio,path=" + sock, "--terminate"] + (["--tpm2"] if tpm2 else [])
    log = open(os.path.join(tmp, "swtpm.log"), "w")
    d = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True)
    log.close()
    deadline = time.time() + TIMEOUT
    while not os.path.exists(sock):
        if d.poll() is not None or time.time() > deadline:
            raise RuntimeError("swtpm did not start")
        time.sleep(0.01)
    return d


def open_tap(queues=1):
    """One tap with `queues` queues (IFF_MULTI_QUEUE when more than one): a list of fds."""
    TUNSETIFF = 0x400454CA
    IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE = 0x0002, 0x1000, 0x4000, 0x0100
    global TAPS
    TAPS += 1
    name = b"qlt%d_%d" % (os.getpid() % 100000, TAPS)
    flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (IFF_MULTI_QUEUE if queues > 1 else 0)
    fds = []
    for _ in range(queues):
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR)
        except OSError as e:
            for f in fds:
                os.close(f)
            raise Skip("cannot open /dev/net/tun: %s" % e)
        fds.append(fd)
        try:
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name, flags))
        except OSError as e:
            for f in fds:
                os.close(f)
            raise Skip("cannot create a tap: %s" % e)
    return fds


class QMP:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.greeting = self.recv()
        self.cmd("qmp_capabilities")

    def recv(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.recv()
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("%s: %s" % (name, r["error"].get("desc")))


def walk_pci(devs, out):
    for d in devs:
        out.append(d)
        br = d.get("pci_bridge")
        if br and br.get("devices"):
            walk_pci(br["devices"], out)


def run_case(qlaunch, xml, tmp):
    text = open(xml).read()
    if "qemu-accept: skip" in text:
        raise Skip(text.split("qemu-accept: skip", 1)[1].split("-->")[0].strip(" ()"))
    # "qemu-accept: host-dependent (WHY; QEMU may fail with: REGEX)": the argv is checked
    # by the golden file; QEMU either starts (and is checked as usual) or fails with a
    # message matching REGEX because the host lacks what the case needs (huge pages).
    host_dep = re.search(r"qemu-accept: host-dependent \(([^;]*); QEMU may fail with: "
                         r"(.*?)\) -->", text)
    accel = ["--accel", ACCEL] if ACCEL else []
    out = subprocess.run([qlaunch, "argv", "--json"] + accel + ["--emulator", EMULATOR,
                          "--run-dir", os.path.join(tmp, "run"), xml],
                         capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        if "expect-reject" in open(xml).read():
            return "rejected as expected"
        # A host fact, not a defect: name='vhost' is refused where /dev/vhost-net is missing.
        if "needs /dev/vhost-net" in out.stderr and not os.path.exists("/dev/vhost-net"):
            raise Skip("vhost-net is not available on this host")
        raise RuntimeError("qlaunch argv failed: " + out.stderr.strip())
    argv = json.loads(out.stdout)
    root = os.path.join(tmp, "root") + "/"
    os.makedirs(os.path.join(tmp, "run"), exist_ok=True)
    argv = [relocate(a, root) for a in argv]
    # The directories of QEMU's own sockets and memory files (RUNDIR/qemu/ when root runs
    # QEMU as qlaunch-qemu): the launcher makes them, so does this harness.
    run = os.path.join(tmp, "run") + "/"
    for v in argv:
        for m in re.finditer(re.escape(run) + r'[^",]*', v):
            os.makedirs(os.path.dirname(m.group(0)), exist_ok=True)

    # Parent directories of every path under the temp root; fake kernel/initrd; NVRAM.
    for v in argv:
        for m in re.finditer(re.escape(root) + r'[^"]*', v.replace(",,", "\0")):
            p = m.group(0).split(",")[0].replace("\0", ",")
            os.makedirs(os.path.dirname(p), exist_ok=True)
    for i, a in enumerate(argv[:-1]):
        v = argv[i + 1]
        if a == "-kernel" and v.startswith(root):
            fake_bzimage(v)
        if a == "-initrd" and v.startswith(root):
            with open(v, "wb") as f:
                f.write(b"\0" * 4096)
    env = dict(os.environ)
    for line in out.stderr.splitlines():
        if line.startswith("# env "):
            k, _, v = line[6:].partition("=")
            env[k] = v
        m = re.match(r"# file \(nvram-file\): NVRAM (.*), copied from (.*) when it", line)
        if m:
            dst = relocate(m.group(1), root)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(m.group(2), dst)

    # Disk images: every file node under the temp root; the format comes from the node
    # that uses it as "file".
    nodes = [json.loads(argv[i + 1]) for i, a in enumerate(argv[:-1]) if a == "-blockdev"]
    fmt_of = {n["file"]: n["driver"] for n in nodes if isinstance(n.get("file"), str)}
    for n in nodes:
        if n.get("driver") == "host_device":
            raise Skip("needs the host block device %s" % n.get("filename"))
        fn = n.get("filename")
        if n.get("driver") != "file" or not fn or not fn.startswith(root):
            continue
        os.makedirs(os.path.dirname(fn), exist_ok=True)
        if not os.path.exists(fn):
            fmt = fmt_of.get(n["node-name"], "raw")
            subprocess.run(["qemu-img", "create", "-q", "-f", fmt, fn, "16M"], check=True)
    # 9p shares: the directory QEMU opens. virtiofs: a virtiofsd on each socket, as the
    # supervisor starts it.
    daemons = []
    for i, a in enumerate(argv[:-1]):
        v = argv[i + 1]
        if a == "-fsdev":
            path = re.search(r",path=((?:[^,]|,,)*)", v).group(1).replace(",,", ",")
            os.makedirs(path, exist_ok=True)
        if a == "-chardev" and ",id=chr-vu-" in v:
            daemons.append(start_virtiofsd(v.split("path=", 1)[1].replace(",,", ","), tmp))
        if a == "-chardev" and v.startswith("socket,id=chrtpm,"):
            tpm12 = re.search(r"""version=["']1\.2["']""", text)
            daemons.append(start_swtpm(v.split("path=", 1)[1].split(",")[0].replace(",,", ","),
                                       tmp, not tpm12))
    # fds: QMP socket at 3, taps after.
    fds = {}
    qmp_path = os.path.join(tmp, "run", "qmp.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(qmp_path)
    lsock.listen(1)
    fds[3] = lsock.fileno()
    tap_fds = []
    for i, a in enumerate(argv[:-1]):
        if a == "-netdev":
            nd = json.loads(argv[i + 1])
            if nd.get("type") == "tap":
                if "vhostfd" in nd or "vhostfds" in nd:
                    raise Skip("vhost-net is not available on this host")
                nums = [int(x) for x in nd["fds"].split(":")] if "fds" in nd else [int(nd["fd"])]
                for n, t in zip(nums, open_tap(len(nums))):
                    tap_fds.append(t)
                    fds[n] = t
    # Move each fd to its number in the child.
    def preexec():
        tmpfds = {n: os.dup(f) for n, f in fds.items()}
        for n, f in tmpfds.items():
            os.dup2(f, n)
            os.set_inheritable(n, True)
    argv[0] = EMULATOR
    errlog = open(os.path.join(tmp, "qemu.err"), "w+")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog,
                            preexec_fn=preexec, pass_fds=tuple(fds), start_new_session=True,
                            env=env)
    for t in tap_fds:
        os.close(t)
    try:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(TIMEOUT)
        deadline = time.time() + TIMEOUT
        while True:
            try:
                c.connect(qmp_path)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise
                time.sleep(0.01)
        try:
            q = QMP(c)
        except Exception:
            proc.wait(timeout=TIMEOUT)
            errlog.seek(0)
            err = errlog.read().strip()
            if host_dep and re.search(host_dep.group(2), err):
                return "host-dependent, QEMU refused as expected on this host (%s): %s" % (
                    host_dep.group(1).strip(), err.replace("\n", " | ")[:200])
            raise RuntimeError("QEMU exited with %s: %s" % (proc.returncode, err))
        check(q, argv)
        q.cmd("quit")
        proc.wait(timeout=TIMEOUT)
        errlog.seek(0)
        warn = errlog.read().strip()
        return "ok" + (" (stderr: %s)" % warn.replace("\n", " | ")[:300] if warn else "")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for d in daemons:
            if d.poll() is None:
                d.kill()
            d.wait()
        lsock.close()
        errlog.close()


def check(q, argv):
    pci = []
    for bus in q.cmd("query-pci"):
        walk_pci(bus["devices"], pci)
    by_id = {d.get("qdev_id"): d for d in pci if d.get("qdev_id")}
    peripherals = {p["name"] for p in q.cmd("qom-list", path="/machine/peripheral")}
    anon = len(q.cmd("qom-list", path="/machine/peripheral-anon"))
    chardevs = {c["label"] for c in q.cmd("query-chardev")}
    n_anon = 0
    for i, a in enumerate(argv[:-1]):
        v = argv[i + 1]
        if a == "-device":
            dev = json.loads(v)
            did = dev.get("id")
            if not did:
                n_anon += 1
                continue
            if did not in peripherals:
                raise RuntimeError("device '%s' is missing from /machine/peripheral" % did)
            if "addr" in dev:
                slot, _, fn = dev["addr"].partition(".")
                slot, fn = int(slot, 16), int(fn, 16) if fn else 0
                path = "/machine/peripheral/" + did
                devfn = q.cmd("qom-get", path=path, property="addr")
                bus = q.cmd("qom-get", path=path, property="parent_bus")
                if devfn != (slot << 3 | fn):
                    raise RuntimeError("device '%s' is at %x.%x, not %x.%x"
                                       % (did, devfn >> 3, devfn & 7, slot, fn))
                if not bus.endswith("/" + dev["bus"]):
                    raise RuntimeError("device '%s' is on bus %s, not %s" % (did, bus, dev["bus"]))
                if dev["bus"] in ("pci.0", "pcie.0"):
                    d = by_id.get(did)
                    if not d or d["slot"] != slot or d["function"] != fn:
                        raise RuntimeError("device '%s' is not at %x.%x in query-pci"
                                           % (did, slot, fn))
        elif a == "-chardev":
            label = [p for p in v.split(",") if p.startswith("id=")][0][3:]
            if label not in chardevs:
                raise RuntimeError("chardev '%s' is missing" % label)
    if anon < n_anon:
        raise RuntimeError("%d anonymous devices expected, %d found" % (n_anon, anon))


def tap_case(i, name, qlaunch, xml):
    """Runs one case in a temp dir and prints its TAP line; False when it failed."""
    tmp = tempfile.mkdtemp(prefix="qla-")
    try:
        print("ok %d - %s: %s" % (i, name, run_case(qlaunch, xml, tmp)))
        return True
    except Skip as e:
        print("ok %d - %s # SKIP %s" % (i, name, e))
        return True
    except Exception as e:  # noqa: BLE001 (any failure is the case's result)
        print("not ok %d - %s" % (i, name))
        for line in str(e).splitlines():
            print("# " + line)
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout.flush()


def main():
    """Prints TAP: one result per case and QEMU, a skipped case as 'ok N - NAME # SKIP why'.
    $QEMUS (colon-separated) names every QEMU to run the cases on; default $QEMU."""
    global EMULATOR
    qlaunch = sys.argv[1]
    emulators = [e for e in os.environ.get("QEMUS", EMULATOR).split(":") if e]
    if not os.access(emulators[0], os.X_OK):
        print("1..0 # SKIP %s not found" % emulators[0])
        return 0
    emulators = [e for e in emulators if os.access(e, os.X_OK)]
    cases = sys.argv[2:]
    print("1..%d" % (len(cases) * len(emulators)))
    failed = 0
    i = 0
    for EMULATOR in emulators:
        version = subprocess.run([EMULATOR, "-version"], capture_output=True,
                                 text=True).stdout.split("\n")[0]
        print("# %s (%s)" % (version, EMULATOR))
        tag = re.sub(r".*version ([0-9]+\.[0-9]+).*", r"\1", version)
        for xml in cases:
            i += 1
            name = os.path.basename(xml)[:-4] + ("" if len(emulators) == 1 else " @" + tag)
            failed += not tap_case(i, name, qlaunch, xml)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
