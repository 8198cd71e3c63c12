#!/usr/bin/env python3
"""Compare qlaunch's QEMU argv with libvirt's expected argv by meaning.

Used by tests/conformance.py: compare_case(qlaunch, corpus_dir, name) returns
(result, detail) with result one of "match", "differ", "rejected", "crash" and
detail a one-line description of the FIRST meaningful difference.

How it works (docs/conformance.md has the prose version):
 1. Both argvs are split into options (name, value). Values of -device, -blockdev,
    -netdev, -object and -audiodev are parsed as JSON; other values are QEMU
    key=val lists (',,' is a literal comma) parsed into ordered dicts, the leading
    implied value (e.g. "pc" in "-machine pc,...") stored under a named key.
 2. NOISE (the table below) removes or masks harness/policy items on both sides.
    Every entry says why it is noise.
 3. -blockdev node names are not compared: every reference to a node (a device's
    "drive", -machine pflashN, a format node's "file"/"backing"/"data-file") is
    replaced by the node's own properties, recursively, so a device carries its
    whole block chain.
 4. Options are matched (singletons by name; devices/objects/chardevs/netdevs by
    id, else by (driver, bus, addr), else by driver in order) and their properties
    compared. The first difference in libvirt's option order is reported, then
    options only qlaunch has.

python3 stdlib only.
"""
import json
import os
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET

JSON_OPTS = {"-device", "-blockdev", "-netdev", "-object", "-audiodev"}
# Options that take no value.
FLAG_OPTS = {"-S", "-no-user-config", "-nodefaults", "-no-shutdown", "-no-reboot",
             "-no-hpet", "-enable-kvm", "-nographic", "-snapshot", "-no-acpi",
             "-daemonize", "-full-screen", "-enable-fips", "-no-fd-bootchk",
             "-usb", "-nodefconfig"}
# Options whose value is a plain string, not key=val.
STRING_OPTS = {"-kernel", "-initrd", "-append", "-bios", "-dtb", "-k", "-uuid",
               "-watchdog-action", "-pidfile", "-loadvm", "-L", "-serial",
               "-parallel", "-monitor", "-qmp", "-vga", "-D", "-d"}
# The implied first key of key=val options ("-machine pc" == "-machine type=pc").
IMPLIED_KEY = {"-machine": "type", "-smp": "cpus", "-cpu": "model", "-accel": "accel",
               "-chardev": "backend", "-netdev": "type", "-m": "size", "-vnc": "vnc",
               "-display": "type", "-numa": "type", "-fsdev": "fsdriver",
               "-tpmdev": "type", "-spice": "spice", "-rtc": "rtc", "-name": "guest",
               "-boot": "order", "-smbios": "type", "-audiodev": "driver",
               "-overcommit": "overcommit", "-sandbox": "enable", "-msg": "msg",
               "-mon": "chardev", "-drive": "drive", "-add-fd": "add-fd",
               "-global": "global", "-action": "action", "-icount": "shift",
               "-iscsi": "iscsi", "-incoming": "uri", "-mem-path": "path"}
# Options that may appear more than once; everything else is a singleton.
MULTI_OPTS = {"-device", "-blockdev", "-netdev", "-object", "-audiodev", "-chardev",
              "-global", "-numa", "-smbios", "-fsdev", "-tpmdev", "-drive", "-add-fd",
              "-mon", "-serial", "-parallel", "-fw_cfg", "-monitor"}


class Wild(str):
    """A masked value (harness fd number, fdset path, ...): equal to any value, and the
    other side may also omit the key."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


def wild(what):
    return Wild("<%s>" % what)


# --------------------------------------------------------------------------- parsing

def split_keyval(s):
    """Split a QEMU key=val list on single commas; ',,' is a literal comma."""
    parts, cur, i = [], [], 0
    while i < len(s):
        c = s[i]
        if c == ",":
            if i + 1 < len(s) and s[i + 1] == ",":
                cur.append(",")
                i += 2
                continue
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def parse_keyval(opt, s):
    d = {}
    for n, part in enumerate(split_keyval(s)):
        if "=" in part and not (opt == "-cpu" and n == 0):
            k, v = part.split("=", 1)
            if opt == "-global" and "." in k and "property" not in d:
                # "-global drv.prop=val" == "-global driver=drv,property=prop,value=val"
                drv, prop = k.split(".", 1)
                d["driver"], d["property"], d["value"] = drv, prop, v
                continue
            d[k] = v
        elif n == 0:
            d[IMPLIED_KEY.get(opt, "value")] = part
        elif opt == "-cpu" and part[:1] in "+-":
            # "-cpu m,+feat,-feat" == "-cpu m,feat=on,feat=off"
            d[part[1:]] = "on" if part[0] == "+" else "off"
        else:
            d[part] = "on"  # QEMU's bare "key" shorthand for key=on
    return d


def parse_argv(argv):
    """argv (without the binary) -> list of [opt, value] (value: dict/str/None)."""
    out, i = [], 0
    while i < len(argv):
        opt = argv[i]
        i += 1
        if opt.startswith("--"):
            opt = opt[1:]
        if not opt.startswith("-"):
            out.append(["<stray>", opt])
            continue
        if opt in FLAG_OPTS or i >= len(argv):
            out.append([opt, None])
            continue
        val = argv[i]
        i += 1
        if opt in JSON_OPTS and val.lstrip().startswith("{"):
            try:
                out.append([opt, json.loads(val)])
            except ValueError:
                out.append([opt, {"<unparsable-json>": val}])
        elif opt in STRING_OPTS:
            out.append([opt, val])
        else:
            out.append([opt, parse_keyval(opt, val)])
    return out


def read_libvirt_args(path):
    with open(path) as f:
        text = f.read()
    toks = shlex.split(text.replace("\\\n", " "))
    i = 0
    while i < len(toks) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", toks[i]):
        i += 1
    return toks[i + 1:]  # drop env and the binary


# --------------------------------------------------------------------------- normalisation

BOOL_WORDS = {"on": "on", "yes": "on", "true": "on", "y": "on",
              "off": "off", "no": "off", "false": "off", "n": "off"}

SIZE_UNITS = {"": 1 << 20, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def mem_bytes(v):
    """-m value -> bytes (QEMU: a bare number is MiB)."""
    m = re.match(r"^(\d+)([bkmgtBKMGT]?)$", str(v))
    if not m:
        return v
    return int(m.group(1)) * SIZE_UNITS[m.group(2).lower()]


def norm_pci_addr(v):
    """'0x1.0x2' / '01.2' / '0x3' -> 'slot.func' in canonical hex."""
    if not isinstance(v, str):
        return v
    m = re.match(r"^(?:0x)?([0-9a-fA-F]+)(?:\.(?:0x)?([0-9a-fA-F]+))?$", v)
    if not m:
        return v
    return "0x%x.0x%x" % (int(m.group(1), 16), int(m.group(2) or "0", 16))


def canon_machine(t):
    """Machine type -> (family, version or None for the unversioned alias)."""
    m = re.match(r"^pc-i440fx-(.+)$", t)
    if m:
        return ("i440fx", m.group(1))
    m = re.match(r"^pc-q35-(.+)$", t)
    if m:
        return ("q35", m.group(1))
    return {"pc": ("i440fx", None), "q35": ("q35", None)}.get(t, (t, None))


class Side:
    """One argv after parsing and normalisation."""

    def __init__(self, argv, who, ctx):
        self.who = who
        self.opts = parse_argv(argv)
        self.xml = ctx.get("xml")          # the input domain XML (ElementTree root) or None
        self.notes = ctx.get("notes", ())  # INDEX.tsv harness notes for the case


def _opt_id(o):
    v = o[1]
    return v.get("id") if isinstance(v, dict) else None


# The NOISE table: (what, why, function(side) -> None). Applied to both sides, in order.
# Each function edits side.opts in place.

def _drop(pred):
    def f(side):
        side.opts = [o for o in side.opts if not pred(o[0], o[1], side)]
    return f


def _edit(opt, fn):
    def f(side):
        for o in side.opts:
            if o[0] == opt and isinstance(o[1], dict):
                fn(o[1], side)
        side.opts = [o for o in side.opts if not (o[0] == opt and o[1] == {})]
    return f


def _drop_unused_audiodev(side):
    ids = {_opt_id(o) for o in side.opts if o[0] == "-audiodev"}
    used = False
    for o in side.opts:
        if o[0] == "-device" and isinstance(o[1], dict) and o[1].get("audiodev") in ids:
            used = True
    if used:
        return
    side.opts = [o for o in side.opts if o[0] != "-audiodev"]
    for o in side.opts:
        if o[0] in ("-vnc", "-spice") and isinstance(o[1], dict):
            o[1].pop("audiodev", None)


def _actions(side):
    """-no-shutdown/-no-reboot/-watchdog-action/-action -> one effective '-action' dict."""
    act = {"reboot": "reset", "shutdown": "poweroff", "panic": "shutdown",
           "watchdog": "reset"}
    keep = []
    for o in side.opts:
        if o[0] == "-no-shutdown":
            act["shutdown"] = "pause"
        elif o[0] == "-no-reboot":
            act["reboot"] = "shutdown"
        elif o[0] == "-watchdog-action":
            act["watchdog"] = o[1]
        elif o[0] == "-action" and isinstance(o[1], dict):
            for k, v in o[1].items():
                if k != "action":
                    act[k] = v
        else:
            keep.append(o)
    if side.who == "libvirt" and side.xml is not None \
            and side.xml.findtext("on_reboot") == "destroy":
        # libvirt sends set-action reboot=shutdown over QMP right after start (notes §2a)
        act["reboot"] = "shutdown"
    if act["panic"] == "shutdown":
        # a panic with action 'shutdown' obeys the shutdown action (-no-shutdown: pause)
        act["panic"] = act["shutdown"]
    if act["watchdog"] == "dump":
        act["watchdog"] = "pause"
    keep.append(["-action", act])
    side.opts = keep


def _kvm_globals(side):
    side.opts = [o for o in side.opts
                 if not (o[0] == "-global" and isinstance(o[1], dict)
                         and str(o[1].get("driver", "")).startswith("kvm-"))]


DEVICE_DEFAULTS = {
    # (driver, property): QEMU's default value; a side that omits the property gets it
    ("VGA", "vgamem_mb"): 16,
    ("usb-storage", "removable"): False,
    ("scsi-hd", "removable"): False,
}


def _device_defaults(side):
    serial_ctrls = [o[1]["id"] for o in side.opts if o[0] == "-device"
                    and isinstance(o[1], dict) and o[1].get("driver", "").startswith(
                        "virtio-serial") and o[1].get("id")]
    ports = [o[1] for o in side.opts if o[0] == "-device" and isinstance(o[1], dict)
             and o[1].get("driver") in ("virtconsole", "virtserialport")]
    for o in side.opts:
        d = o[1]
        if o[0] != "-device" or not isinstance(d, dict):
            continue
        for (drv, prop), val in DEVICE_DEFAULTS.items():
            if d.get("driver") == drv:
                d.setdefault(prop, val)
        if d.get("driver") in ("virtconsole", "virtserialport") and "bus" not in d \
                and len(serial_ctrls) == 1:
            # QEMU plugs a port without bus= into the only virtio-serial bus
            d["bus"] = serial_ctrls[0] + ".0"
    # QEMU numbers ports without nr= itself (virtio-serial-bus.c: a console takes port 0
    # if free, others the lowest free port from 1), so fill in the number it would pick
    taken = {}
    for d in ports:
        if "nr" in d:
            taken.setdefault(d.get("bus"), set()).add(d["nr"])
    for d in ports:
        if "nr" not in d:
            used = taken.setdefault(d.get("bus"), set())
            n = 0 if d["driver"] == "virtconsole" and 0 not in used else 1
            while n in used:
                n += 1
            d["nr"] = n
            used.add(n)


def _spice_ticketing(side):
    # README: the test qemu.conf sets spice_password, so libvirt's files never show
    # disable-ticketing=on; without a password in the XML real libvirt emits it too
    if side.xml is None:
        return
    g = side.xml.find("devices/graphics[@type='spice']")
    if g is None or g.get("passwd") is not None:
        return
    for o in side.opts:
        if o[0] == "-spice" and isinstance(o[1], dict) \
                and o[1].get("disable-ticketing") == "on":
            del o[1]["disable-ticketing"]


def _vnc_autoport(side):
    # <graphics type='vnc' autoport='yes'> (or no port): qlaunch lets QEMU pick the first
    # free display (",to=N"); libvirt's port allocator picks it (mocked: display :0).
    # The listen address is still compared, only the display number is masked.
    g = side.xml.find("devices/graphics[@type='vnc']") if side.xml is not None else None
    auto = g is not None and (g.get("autoport") == "yes" or g.get("port") in (None, "-1"))
    for o in side.opts:
        if o[0] == "-vnc" and isinstance(o[1], dict):
            host = o[1].get("vnc", "")
            if auto and ":" in host and not host.startswith("unix:"):
                o[1].pop("to", None)
                o[1]["vnc"] = host.rsplit(":", 1)[0] + ":<autoport>"


def _spice_autoport(side):
    # <graphics type='spice' autoport='yes'> (or port='-1'): the port is allocated at start
    # (qlaunch's supervisor: the first free port from 5900; libvirt's harness does not
    # allocate and shows its pretend port 5901). Masked on both sides; the address, and the
    # port of a SPICE server without autoport, are still compared.
    g = side.xml.find("devices/graphics[@type='spice']") if side.xml is not None else None
    if g is None or not (g.get("autoport") == "yes" or g.get("port") == "-1"):
        return
    for o in side.opts:
        if o[0] == "-spice" and isinstance(o[1], dict) and o[1].get("port") not in (None, "0"):
            o[1]["port"] = wild("spice autoport")


def _generated_socket(side):
    # <listen type='socket'/> without a path: the launcher generates the socket in its own
    # per-domain directory (libvirt: /var/lib/libvirt/qemu/domain-ID-NAME/, qlaunch: its run
    # dir). The directory is masked, the file name (vnc.sock / spice.sock) compared.
    if side.xml is None:
        return
    gen = set()
    for g in side.xml.findall("devices/graphics"):
        lst = g.find("listen")
        if lst is not None and lst.get("type") == "socket" and not lst.get("socket"):
            gen.add(g.get("type"))
    for o in side.opts:
        if not isinstance(o[1], dict):
            continue
        if o[0] == "-vnc" and "vnc" in gen and str(o[1].get("vnc", "")).startswith("unix:"):
            o[1]["vnc"] = "unix:<run dir>/" + os.path.basename(o[1]["vnc"])
        if o[0] == "-spice" and "spice" in gen and o[1].get("unix") in ("on", "yes", "true") \
                and "addr" in o[1]:
            o[1]["addr"] = "<run dir>/" + os.path.basename(o[1]["addr"])


def _default_bios(side):
    side.opts = [o for o in side.opts if not (
        o[0] == "-bios" and isinstance(o[1], str)
        and os.path.basename(o[1]) == "bios-256k.bin")]


def _fw_descriptor_paths(side):
    # needs-fw-descriptors: libvirt's harness selects from its own test descriptors
    # (/usr/share/edk2/ovmf/...), qlaunch from the host's (Debian: /usr/share/OVMF/...).
    # Which descriptor matched is still compared through the machine's smm/secure
    # properties; only the file names of the firmware images are masked.
    if "needs-fw-descriptors" not in side.notes:
        return
    for o in side.opts:
        if o[0] == "-blockdev" and isinstance(o[1], dict) and o[1].get("driver") == "file" \
                and str(o[1].get("node-name", "")).startswith("libvirt-pflash"):
            o[1]["filename"] = wild("firmware image from the host's descriptors")


def _nvram_path(side):
    # <nvram> without a path: the file is created from the template in the launcher's
    # own state directory (/var/lib/libvirt/qemu/nvram/NAME_VARS.fd for libvirt)
    if side.xml is None:
        return
    nv = side.xml.find("os/nvram")
    if nv is not None and (nv.text or "").strip():
        return   # an explicit path is compared
    for o in side.opts:
        if o[0] == "-blockdev" and isinstance(o[1], dict) \
                and o[1].get("driver") == "file" and str(
                    o[1].get("node-name", "")).startswith("libvirt-pflash1"):
            o[1]["filename"] = wild("nvram state file")


def _genid_auto(side):
    # <genid/> without a value: libvirt generates a random GUID (the harness mocks it as
    # 00010203-...), qlaunch derives one from the domain UUID; only presence is compared
    if side.xml is None:
        return
    g = side.xml.find("genid")
    if g is None or (g.text or "").strip():
        return
    for o in side.opts:
        if o[0] == "-device" and isinstance(o[1], dict) \
                and o[1].get("driver") == "vmgenid" and "guid" in o[1]:
            o[1]["guid"] = wild("generated genid")


def _mem_path(side):
    # memory-backend-file mem-path: a hugetlbfs mount (libvirt: the test qemu.conf's
    # /dev/hugepages2M/libvirt/qemu/ID-NAME; qlaunch: /dev/hugepages/) or the launcher's
    # memory_backing_dir (libvirt: /var/lib/libvirt/qemu/ram/ID-NAME/ALIAS; qlaunch: its
    # run dir). Which of the two kinds is kept; the host path itself is not compared.
    for o in side.opts:
        if o[0] == "-object" and isinstance(o[1], dict) \
                and o[1].get("qom-type") == "memory-backend-file" and "mem-path" in o[1]:
            huge = str(o[1]["mem-path"]).startswith("/dev/hugepages")
            o[1]["mem-path"] = "<hugetlbfs>" if huge else "<memory backing dir>"


def _host_cpu(side):
    if "needs-host-cpu" in side.notes:
        for o in side.opts:
            if o[0] == "-cpu":
                o[1] = {"model": wild("host cpu")}


def _machine(d, side):
    t = d.get("type")
    if t is not None:
        d["type"] = canon_machine(t)
    for k in list(d):
        if isinstance(d[k], str) and d[k] in BOOL_WORDS:
            d[k] = BOOL_WORDS[d[k]]
    d.setdefault("usb", "off")
    d.setdefault("acpi", "on")
    d.setdefault("dump-guest-core", "off")
    if d.get("memory-backend") == "pc.ram" and side.default_ram:
        del d["memory-backend"]


def _pc_ram(side):
    side.default_ram = False
    keep = []
    for o in side.opts:
        v = o[1]
        if (o[0] == "-object" and isinstance(v, dict) and v.get("id") == "pc.ram"
                and v.get("qom-type") == "memory-backend-ram"
                and set(v) <= {"qom-type", "id", "size"}):
            side.default_ram = True
            continue
        keep.append(o)
    side.opts = keep


def _memory(d, side):
    if "size" in d:
        d["size"] = mem_bytes(d["size"])
    if "maxmem" in d:
        d["maxmem"] = mem_bytes(d["maxmem"])


def _cpu_default(side):
    if not any(o[0] == "-cpu" for o in side.opts):
        side.opts.append(["-cpu", {"model": "qemu64"}])


def _cpu(d, side):
    for k in list(d):
        v = d.pop(k)
        if k != "model":
            # QEMU's x86 feat2prop(): 'ds_cpl' is the same property as 'ds-cpl'
            k = k.replace("_", "-")
            v = BOOL_WORDS.get(v, v)
        d[k] = v


def _smp(d, side):
    # dies/clusters default to 1 (QEMU smp_parse); libvirt spells them out
    for k in ("dies", "clusters"):
        if d.get(k) == "1":
            del d[k]


def _accel(d, side):
    acc = d.pop("accel", None)
    if acc == "kvm":
        # kvm-only tuning cannot apply under the forced tcg
        d.pop("dirty-ring-size", None)
    if acc == "kvm":
        d.clear()


def _boot(d, side):
    if d.get("strict") == "on":
        del d["strict"]
    if d.get("reboot-timeout") == "-1":
        del d["reboot-timeout"]  # QEMU's default: -1 = do not retry a failed boot


def _name(d, side):
    d.pop("debug-threads", None)


def _chardev(d, side):
    if d.get("backend") == "socket" and "fd" in d:
        # a pre-opened (listening) UNIX socket: the path is known only to the launcher
        del d["fd"]
        d["path"] = wild("socket fd")
    for k, ak in (("path", "append"), ("logfile", "logappend")):
        if isinstance(d.get(k), str) and d[k].startswith("/dev/fdset/"):
            d[k] = wild("fdset")
            # libvirt opened (and truncated or not) the file itself; append=on only
            # stops QEMU truncating the passed fd again
            d[ak] = wild("fdset append")
    for k in list(d):
        if d[k] in BOOL_WORDS:
            d[k] = BOOL_WORDS[d[k]]
    if d.get("backend") == "udp":
        # QEMU's udp chardev: empty host means localhost; empty localaddr and
        # localport=0 mean "any" (qemu_chr_parse_udp)
        if d.get("host") == "":
            d["host"] = "localhost"
        if d.get("localaddr") == "":
            del d["localaddr"]
        if d.get("localport") == "0":
            del d["localport"]


def _netdev(side):
    for o in side.opts:
        if o[0] == "-netdev" and isinstance(o[1], dict):
            for k in ("fd", "vhostfd", "fds", "vhostfds"):
                if k in o[1]:
                    o[1][k] = wild("fd")


def _secret_obj(side):
    for o in side.opts:
        v = o[1]
        if o[0] == "-object" and isinstance(v, dict) and v.get("qom-type") == "secret":
            if v.get("keyid") == "masterKey0":
                # encrypted with libvirt's master key: data/iv are per-run ciphertext
                del v["keyid"]
                v.pop("iv", None)
                v["data"] = wild("secret")
                v.pop("format", None)


def _add_fd(side):
    side.opts = [o for o in side.opts if o[0] != "-add-fd"]


NOISE = [
    ("-S", "libvirt always starts paused and sends 'cont' after QMP setup (notes §1.3)",
     _drop(lambda o, v, s: o == "-S")),
    ("-name debug-threads", "thread naming only (notes §1.2); the guest name is compared",
     _edit("-name", _name)),
    ("-object secret masterKey0", "exists only to decrypt libvirt's other secrets (notes §1.4)",
     _drop(lambda o, v, s: o == "-object" and isinstance(v, dict)
           and v.get("id") == "masterKey0")),
    ("secret data/iv/keyid", "libvirt encrypts secret payloads with the per-run master key;"
     " ciphertext is not comparable", _secret_obj),
    ("-overcommit mem-lock=off", "QEMU's default; libvirt states it explicitly (notes §1.5)",
     _drop(lambda o, v, s: o == "-overcommit" and v == {"overcommit": "", "mem-lock": "off"}
           or o == "-overcommit" and v == {"mem-lock": "off"})),
    ("-no-user-config, -nodefaults", "both launchers create every device explicitly"
     " (notes §1.5); missing defaults show up as device differences",
     _drop(lambda o, v, s: o in ("-no-user-config", "-nodefaults"))),
    ("-sandbox", "host hardening from qemu.conf seccomp_sandbox, not domain meaning (§1.5)",
     _drop(lambda o, v, s: o == "-sandbox")),
    ("-msg timestamp=on", "log formatting (notes §1.5)",
     _drop(lambda o, v, s: o == "-msg")),
    ("-boot strict=on", "libvirt policy (notes §1.5); menu/splash/reboot-timeout compared",
     _edit("-boot", _boot)),
    ("monitor chardev + -mon", "each launcher has its own QMP socket (notes §1.6)",
     _drop(lambda o, v, s: o == "-mon" or (o == "-chardev" and isinstance(v, dict)
                                          and v.get("id") == "charmonitor"))),
    ("-add-fd", "harness fd passing (fd 1750+, notes §1.12); the chardev using it is compared",
     _add_fd),
    ("fd numbers", "tap fd/vhostfd are mock numbers (102+/44+/3+, notes §1.12); only the"
     " presence of the key is compared", _netdev),
    ("chardev fd=N, /dev/fdset/N", "harness fd 1729 / fdsets replace the path (notes §1.12);"
     " the socket/file path matches anything", _edit("-chardev", _chardev)),
    ("pc.ram backend", "-machine memory-backend=pc.ram + plain memory-backend-ram 'pc.ram'"
     " is how libvirt spells default RAM (notes §1.7); the -m size is compared",
     _pc_ram),
    ("-machine type/usb/dump-guest-core/acpi", "pc/q35 aliases vs versioned names"
     " (notes §1.7, README: harness strips aliases); usb=off is QEMU's default;"
     " dump-guest-core=off is libvirt policy; acpi defaults to on",
     _edit("-machine", _machine)),
    ("-m", "size units ('219136k' vs '214M') compared in bytes", _edit("-m", _memory)),
    ("-cpu default", "no -cpu means qemu64 on qemu-system-x86_64; libvirt states it",
     _cpu_default),
    ("-cpu feature spelling", "+f/-f == f=on/f=off", _edit("-cpu", _cpu)),
    ("-accel", "qlaunch is run with --accel tcg; libvirt's accel (kvm for type='kvm')"
     " is the harness choice; tcg-specific properties are still compared",
     _edit("-accel", _accel)),
    ("-audiodev without a sound device", "libvirt adds audio1 by policy (notes §1.8; its"
     " driver follows qemu.conf/env); with no sound device using it no audio flows, so"
     " the backend and -vnc/-spice audiodev= have no effect", _drop_unused_audiodev),
    ("-no-shutdown/-no-reboot/-watchdog-action/-action", "different spellings of QEMU's"
     " run-state actions; compared as the effective action set (defaults filled in,"
     " libvirt's post-start set-action for on_reboot=destroy added)", _actions),
    ("-global kvm-*", "kvm-only devices (kvm-pit) do not exist under the forced tcg",
     _kvm_globals),
    ("-smp dies=1/clusters=1", "QEMU defaults", _edit("-smp", _smp)),
    ("device property defaults", "libvirt spells out some QEMU defaults (DEVICE_DEFAULTS);"
     " virtio-serial ports without bus= go to the only virtio-serial bus", _device_defaults),
    ("-spice disable-ticketing", "harness qemu.conf spice_password hides it (README)",
     _spice_ticketing),
    ("-vnc to=, autoport display", "autoport: first free display chosen by QEMU vs by"
     " libvirt's (mocked) port allocator", _vnc_autoport),
    ("-spice port with autoport", "allocated at start: qlaunch's supervisor picks the first"
     " free port, libvirt's harness shows its pretend port (5901); the address is compared",
     _spice_autoport),
    ("generated graphics socket directory", "<listen type='socket'/> without a path: each"
     " launcher puts vnc.sock/spice.sock in its own per-domain directory; the name is"
     " compared", _generated_socket),
    ("-bios .../bios-256k.bin", "QEMU's built-in default firmware for pc/q35"
     " (firmware auto-selection needs descriptors the corpus lacks)", _default_bios),
    ("firmware image paths (needs-fw-descriptors)", "auto-selected from each host's"
     " descriptors; the harness's test descriptors are not in the corpus", _fw_descriptor_paths),
    ("nvram path without <nvram>path</nvram>", "a launcher-owned state file (libvirt:"
     " /var/lib/libvirt/qemu/nvram/NAME_VARS.fd)", _nvram_path),
    ("vmgenid guid for an empty <genid/>", "generated: random in libvirt (mocked by the"
     " harness), derived from the UUID by qlaunch; a given <genid> is compared",
     _genid_auto),
    ("memory-backend-file mem-path", "host paths: a hugetlbfs mount or the launcher's"
     " memory backing directory (libvirt's from qemu.conf); only which of the two is"
     " compared", _mem_path),
    ("-cpu for needs-host-cpu", "host-model/passthrough expand to the harness's fake host"
     " CPU (README); only presence is compared", _host_cpu),
    ("raw format layer", "a raw format node with no options over a protocol node equals"
     " the protocol node (done in resolve_blockdevs)", None),
    ("-uuid / -name when one side lacks it", "notes §1.2 list them as harness items; they"
     " are compared only when both sides give them", None),
]


# --------------------------------------------------------------------------- block chains

NODE_REF_KEYS = ("drive", "pflash0", "pflash1", "file", "backing", "data-file",
                 "external-data-file")


def resolve_blockdevs(side):
    nodes = {}
    keep = []
    for o in side.opts:
        if o[0] == "-blockdev" and isinstance(o[1], dict) and "node-name" in o[1]:
            nodes[o[1]["node-name"]] = o[1]
        keep.append(o)
    used = set()

    def resolve(v, depth=0):
        if isinstance(v, str) and v in nodes and depth < 16:
            used.add(v)
            n = dict(nodes[v])
            del n["node-name"]
            if n.get("backing", "x") is None:
                # README: the harness never probes images, real libvirt emits null
                del n["backing"]
            for k in NODE_REF_KEYS:
                if k in n:
                    n[k] = resolve(n[k], depth + 1)
            return collapse_raw(n)
        return v

    for o in keep:
        if o[0] == "-blockdev":
            continue
        if isinstance(o[1], dict):
            for k in NODE_REF_KEYS:
                if k in o[1]:
                    o[1][k] = resolve(o[1][k])
    # nodes reachable from others are compared as part of the chain;
    # a top node nobody references is compared alone (name masked)
    for o in keep:
        if o[0] == "-blockdev" and isinstance(o[1], dict) and "node-name" in o[1]:
            o.append(o[1]["node-name"])
    out = []
    for o in keep:
        if o[0] == "-blockdev" and len(o) == 3:
            name = o[2]
            if name in used:
                continue
            r = resolve(name)
            used.discard(name)
            out.append(["-blockdev", r])
        else:
            out.append(o)
    side.opts = out


RAW_PASSTHROUGH_KEYS = {"driver", "file", "read-only", "discard", "detect-zeroes", "cache"}


def collapse_raw(n):
    """{"driver":"raw","file":{protocol}} with no raw-specific options (offset/size) ->
    the protocol node carrying the format node's read-only/discard/cache/detect-zeroes.
    Under a format layer libvirt gives the protocol node auto-read-only and
    discard=unmap; both are plumbing (the format layer decides), so they are dropped."""
    if n.get("driver") != "raw" or not isinstance(n.get("file"), dict) \
            or not set(n) <= RAW_PASSTHROUGH_KEYS:
        return n
    child = dict(n["file"])
    child.pop("auto-read-only", None)
    child.pop("discard", None)
    for k in ("read-only", "discard", "detect-zeroes", "cache"):
        if k in n:
            child[k] = n[k]
    return child


def normalise_device(d):
    for k in ("addr",):
        if k in d:
            d[k] = norm_pci_addr(d[k])
    return d


def normalise(side):
    side.default_ram = False
    for _what, _why, fn in NOISE:
        if fn:
            fn(side)
    resolve_blockdevs(side)
    for o in side.opts:
        if o[0] == "-device" and isinstance(o[1], dict):
            normalise_device(o[1])
    return side


def host_cdrom_equiv(a, b):
    """host_cdrom vs host_device for a block-backed CD-ROM: libvirt picks host_cdrom only
    if the path probes as a real CD-ROM (virFileIsCDROM); the harness paths do not exist."""
    return {a, b} == {"host_cdrom", "host_device"}


# --------------------------------------------------------------------------- comparison

def fmt(v):
    if isinstance(v, Wild):
        return str(v)
    if isinstance(v, (dict, list)):
        s = json.dumps(v, sort_keys=True, separators=(",", ":"))
        return s if len(s) <= 120 else s[:117] + "..."
    if isinstance(v, str):
        return "'%s'" % v
    return json.dumps(v)


def diff_value(a, b, path=""):
    """First difference between qlaunch value a and libvirt value b, or None."""
    if isinstance(a, Wild) or isinstance(b, Wild):
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if path.endswith("drive") or path.endswith("file") or path.endswith("backing"):
            if "driver" in a and "driver" in b and a["driver"] != b["driver"] \
                    and not host_cdrom_equiv(a["driver"], b["driver"]):
                return "%s: node driver '%s' vs libvirt '%s'" % (
                    path, a["driver"], b["driver"])
        for k in b:
            sub = "%s.%s" % (path, k) if path else k
            if k not in a:
                if isinstance(b[k], Wild):
                    continue
                return "%s missing (libvirt has %s)" % (sub, fmt(b[k]))
            if k == "driver" and isinstance(a[k], str) and isinstance(b[k], str) \
                    and host_cdrom_equiv(a[k], b[k]):
                continue
            r = diff_value(a[k], b[k], sub)
            if r:
                return r
        for k in a:
            if k not in b:
                if isinstance(a[k], Wild):
                    continue
                sub = "%s.%s" % (path, k) if path else k
                return "extra %s=%s (libvirt has none)" % (sub, fmt(a[k]))
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            r = diff_value(x, y, "%s[%d]" % (path, i))
            if r:
                return r
        if len(a) != len(b):
            return "%s: %d items vs libvirt %d" % (path, len(a), len(b))
        return None
    if type(a) is not type(b) and not (isinstance(a, str) and isinstance(b, str)):
        return "%s %s vs libvirt %s (type differs)" % (path, fmt(a), fmt(b))
    if a != b:
        if isinstance(a, str) and isinstance(b, str) and as_int(a) is not None \
                and as_int(a) == as_int(b):
            return None  # '12287' == '0x2fff' (QEMU parses key=val integers with base 0)
        return "%s %s vs libvirt %s" % (path, fmt(a), fmt(b))
    return None


def as_int(s):
    try:
        return int(s, 0)
    except (TypeError, ValueError):
        return None


def describe(o):
    opt, v = o[0], o[1]
    if isinstance(v, dict):
        head = v.get("driver") or v.get("qom-type") or v.get("type") or v.get("backend") \
            or v.get("model") or ""
        if opt == "-machine":
            head = "-".join(x for x in v.get("type", ("?",)) if x)
        s = opt + (" " + str(head) if head else "")
        if v.get("id"):
            s += " id=" + str(v["id"])
        elif opt == "-global":
            s = "-global %s.%s" % (v.get("driver"), v.get("property"))
        return s
    if v is None:
        return opt
    return "%s %s" % (opt, fmt(v))


def pair_options(ql, lv):
    """Pair qlaunch options with libvirt options. Returns (pairs, only_ql) where pairs is
    a list of (lv_opt, ql_opt or None) in libvirt order."""
    ql_left = list(range(len(ql)))
    pairs = []

    def take(pred):
        for n, i in enumerate(ql_left):
            if pred(ql[i]):
                del ql_left[n]
                return ql[i]
        return None

    # pass 1: exact identity (id, or global driver.property, or singleton name)
    pending = []
    for o in lv:
        opt, v = o[0], o[1]
        m = None
        if isinstance(v, dict) and v.get("id") is not None:
            m = take(lambda q: q[0] == opt and isinstance(q[1], dict)
                     and q[1].get("id") == v["id"])
        elif opt == "-numa" and isinstance(v, dict) and "nodeid" in v:
            m = take(lambda q: q[0] == opt and isinstance(q[1], dict)
                     and (q[1].get("type"), q[1].get("nodeid"))
                     == (v.get("type"), v["nodeid"]))
        elif opt == "-global":
            m = take(lambda q: q[0] == opt and isinstance(q[1], dict)
                     and (q[1].get("driver"), q[1].get("property"))
                     == (v.get("driver"), v.get("property")))
        elif opt not in MULTI_OPTS:
            m = take(lambda q: q[0] == opt)
        pairs.append([o, m])
        if m is None:
            pending.append(len(pairs) - 1)
    # pass 2: (driver, bus, addr), then driver in order, among id-less leftovers
    for key in (lambda v: (v.get("driver") or v.get("qom-type") or v.get("type"),
                           v.get("bus"), v.get("addr")),
                lambda v: (v.get("driver") or v.get("qom-type") or v.get("type"),)):
        for p in pending:
            if pairs[p][1] is not None:
                continue
            o = pairs[p][0]
            if not isinstance(o[1], dict):
                m = take(lambda q: q[0] == o[0] and q[1] == o[1])
                pairs[p][1] = m
                continue
            k = key(o[1])
            m = take(lambda q: q[0] == o[0] and isinstance(q[1], dict)
                     and (q[1].get("id") is None or o[1].get("id") is None)
                     and key(q[1]) == k)
            pairs[p][1] = m
    return pairs, [ql[i] for i in ql_left]


OPTIONAL_OPTS = {"-uuid", "-name"}


def differences(ql, lv):
    """Yield every difference (first one first): libvirt's option order, then extras."""
    pairs, extra = pair_options(ql, lv)
    for o, m in pairs:
        if m is None:
            if o[0] in OPTIONAL_OPTS:
                continue
            yield "missing %s (libvirt has it)" % describe(o)
            continue
        r = diff_value(m[1], o[1])
        if r:
            yield "%s: %s" % (describe(o), r)
    for q in extra:
        if q[0] in OPTIONAL_OPTS:
            continue
        yield "extra %s (libvirt has none)" % describe(q)


def compare_models(ql, lv):
    return next(differences(ql, lv), None)


def case_context(corpus, name):
    ctx = {"notes": ()}
    try:
        ctx["xml"] = ET.parse(os.path.join(corpus, name + ".xml")).getroot()
    except (OSError, ET.ParseError):
        ctx["xml"] = None
    try:
        with open(os.path.join(corpus, "INDEX.tsv")) as f:
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if cols[0] == name and len(cols) >= 4:
                    ctx["notes"] = set(cols[3].split(","))
    except OSError:
        pass
    return ctx


def libvirt_model(corpus, name, ctx=None):
    ctx = ctx if ctx is not None else case_context(corpus, name)
    return normalise(Side(read_libvirt_args(
        os.path.join(corpus, name + ".x86_64-latest.args")), "libvirt", ctx))


def qlaunch_model(argv, ctx=None):
    return normalise(Side(argv[1:], "qlaunch", ctx or {}))


def compare_case(qlaunch, corpus, name):
    xml = os.path.join(corpus, name + ".xml")
    try:
        p = subprocess.run([qlaunch, "argv", "--json", "--accel", "tcg", xml],
                           capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return ("crash", "argv: timeout after 20 s")
    if p.returncode == 1:
        # the first error line (notes/warnings may come before it), without the file name
        lines = p.stderr.strip().splitlines()
        errs = [ln for ln in lines if ": error: " in ln or ln.startswith("error:")]
        line = (errs or lines or ["(no message)"])[0]
        return ("rejected", line.replace(xml + ": ", "", 1))
    if p.returncode != 0:
        return ("crash", "argv: exit status %d: %s" % (
            p.returncode, (p.stderr.strip().splitlines() or [""])[0][:200]))
    try:
        argv = json.loads(p.stdout)
        assert isinstance(argv, list) and all(isinstance(x, str) for x in argv)
    except (ValueError, AssertionError):
        return ("crash", "argv --json: output is not a JSON array of strings")
    try:
        lv = libvirt_model(corpus, name)
    except (OSError, ValueError) as e:
        return ("differ", "cannot read libvirt args: %s" % e)
    ql = qlaunch_model(argv, case_context(corpus, name))
    drop_implicit_panic(ql, p.stderr)
    d = compare_models(ql.opts, lv.opts)
    if d:
        return ("differ", d)
    return ("match", "")


def drop_implicit_panic(side, stderr):
    """qlaunch policy, not a difference in meaning: when on_crash is not destroy and the XML
    has no <panic>, qlaunch adds one (and says so in a note) so that the crash policy can
    trigger at all; libvirt leaves the policy without effect (notes §2a)."""
    if "added <panic model='isa'/>" not in stderr:
        return
    side.opts = [o for o in side.opts
                 if not (o[0] == "-device" and isinstance(o[1], dict)
                         and o[1].get("driver") == "pvpanic" and "id" not in o[1])]


def all_differences(qlaunch, corpus, name):
    """Every difference for one case (for studying results; not used by conformance.py)."""
    p = subprocess.run([qlaunch, "argv", "--json", "--accel", "tcg",
                        os.path.join(corpus, name + ".xml")],
                       capture_output=True, text=True, timeout=20)
    if p.returncode != 0:
        return ["(argv exit %d)" % p.returncode]
    return list(differences(qlaunch_model(json.loads(p.stdout),
                                          case_context(corpus, name)).opts,
                            libvirt_model(corpus, name).opts))


if __name__ == "__main__":
    # usage: argvcompare.py QLAUNCH CORPUS NAME...   (prints all differences per case)
    import sys
    for n in sys.argv[3:]:
        res = compare_case(sys.argv[1], sys.argv[2], n)
        print("%s: %s %s" % (n, res[0], res[1]))
        if res[0] == "differ":
            for d in all_differences(sys.argv[1], sys.argv[2], n):
                print("    " + d)
