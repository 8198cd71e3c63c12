#!/usr/bin/env python3
"""Real-world domain XML: what qlaunch accepts, and does QEMU accept the result.

For every NAME.xml in the corpus directory, `qlaunch validate --json --no-emulator` (static)
and then `qlaunch argv --emulator $QEMU` decide the outcome: accepted, or refused with the
first diagnostic's element path and line. EXPECT (same directory) lists the expected outcome
per file:

    NAME.xml accept
    NAME.xml refuse WHERE LINE             refused, first diagnostic at WHERE, line LINE
    NAME.xml host PATH WHERE LINE          accepted when PATH exists on this host, else
                                           refused as given (libvirt refuses the same way)
    NAME.xml ... qemu-skip WHY             (suffix) do not start this one in QEMU

A file outside EXPECT, or an outcome other than expected, fails. Every refusal must name a
line. Each running-NAME.xml (virsh dumpxml of the running guest) must be accepted whenever
NAME.xml (its definition) is. The acceptance ratio is printed. Then the argv of every
accepted file is started in real QEMU (paused, -S) through tests/xml2argv/qemu-accept.py and
checked over QMP. It runs under TCG: a host-passthrough or host-model CPU becomes
mode='maximum' for that step (the CPU a host offers is the host's; the rest of the argv is
what is checked).

Usage: check.py QLAUNCH CORPUS_DIR ; prints TAP.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HOST_DEP = set()       # files whose outcome depends on a host path (EXPECT 'host')
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "xml2argv"))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "qemu_accept", os.path.join(HERE, "..", "xml2argv", "qemu-accept.py"))
qa = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qa)

QEMU = os.environ.get("QEMU", "/usr/bin/qemu-system-x86_64")
# Where the tools put images, NVRAM, sockets and logs; moved into a temp dir for QEMU.
HOST_DIRS = ["/var/lib/libvirt/", "/var/lib/nova/", "/var/run/kubevirt-private/",
             "/var/run/kubevirt-ephemeral-disks/", "/var/run/kubevirt/", "/home/alice/",
             "/rhev/", "/srv/", "/run/libvirt/", "/var/run/ovirt-vmconsole-console/"]


def outcome(qlaunch, path):
    """('accept', None, None) or ('refuse', where, line)."""
    p = subprocess.run([qlaunch, "validate", "--json", "--no-emulator", path],
                       capture_output=True, text=True, timeout=20)
    if p.returncode not in (0, 1):
        raise RuntimeError("validate exited %d: %s" % (p.returncode, p.stderr.strip()))
    f = json.loads(p.stdout)["files"][0]
    if not f["valid"]:
        d = [x for x in f["diagnostics"] if x["level"] == "error"][0]
        return "refuse", re.sub(r"\[\d+\]", "", d["where"]), d.get("line", 0), d["message"]
    p = subprocess.run([qlaunch, "argv", "--emulator", QEMU, path], capture_output=True,
                       text=True, timeout=20)
    if p.returncode == 0:
        return "accept", None, None, None
    if p.returncode != 1:
        raise RuntimeError("argv exited %d: %s" % (p.returncode, p.stderr.strip()))
    err = [ln for ln in p.stderr.splitlines() if ": error: " in ln][0]
    m = re.match(r".*?: error: ([^:]*): (.*?)(?: \(line (\d+)\))?$", err)
    where = re.sub(r"\[\d+\]", "", m.group(1))
    return "refuse", where, int(m.group(3) or 0), m.group(2)


def read_expect(corpus):
    exp = {}
    with open(os.path.join(corpus, "EXPECT")) as f:
        for raw in f:
            line = raw.split("#", 1)[0].split()
            if not line:
                continue
            name, kind, rest = line[0], line[1], line[2:]
            skip = None
            if "qemu-skip" in rest:
                i = rest.index("qemu-skip")
                skip, rest = " ".join(rest[i + 1:]), rest[:i]
            if kind == "host":
                HOST_DEP.add(name)
                want = ("accept", None, None) if os.path.exists(rest[0]) else \
                    ("refuse", rest[1], int(rest[2]))
            elif kind == "refuse":
                want = ("refuse", rest[0], int(rest[1]))
            else:
                want = ("accept", None, None)
            exp[name] = (want, skip)
    return exp


def main():
    qlaunch, corpus = sys.argv[1], sys.argv[2]
    # The storage pools the corpus's <disk type='volume'> name ('default', as libvirt's
    # `virsh pool-dumpxml default` prints it): qlaunch reads them from this directory.
    os.environ["QLAUNCH_POOL_DIR"] = os.path.join(corpus, "pools")
    exp = read_expect(corpus)
    names = sorted(f for f in os.listdir(corpus) if f.endswith(".xml"))
    qemu_ok = os.access(QEMU, os.X_OK) and shutil.which("qemu-img")
    print("1..%d" % (len(names) * 2 + 1))
    n, failed, results = 0, 0, {}
    for name in names:
        n += 1
        got = outcome(qlaunch, os.path.join(corpus, name))
        results[name] = got
        want, _ = exp.get(name, (None, None))
        desc = "accepted" if got[0] == "accept" else \
            "refused at %s line %s: %s" % (got[1], got[2], got[3])
        ok = want is not None and tuple(got[:3]) == want and (got[0] == "accept" or got[2])
        print("%s %d - %s: %s" % ("ok" if ok else "not ok", n, name, desc))
        if not ok:
            failed += 1
            print("# expected: %s" % (want,) if want else "# not listed in EXPECT")
    n += 1
    bad = [x for x in names if x.startswith("running-") and x[8:] in results
           and results[x[8:]][0] == "accept" and results[x][0] != "accept"]
    print("%s %d - every running form accepted when its definition is%s"
          % ("not ok" if bad else "ok", n, (": " + ", ".join(bad)) if bad else ""))
    failed += bool(bad)
    acc = sum(1 for r in results.values() if r[0] == "accept")
    print("# acceptance: %d/%d (%.0f %%) on this host" % (acc, len(names), 100.0 * acc / len(names)))
    full = acc + sum(1 for x in HOST_DEP if results.get(x, ("",))[0] != "accept")
    print("# acceptance: %d/%d (%.0f %%) on a host with everything EXPECT's 'host' lines name"
          % (full, len(names), 100.0 * full / len(names)))

    qa.EMULATOR = QEMU
    qa.PREFIXES = [qa.PREFIX] + HOST_DIRS
    qa.ACCEL = "tcg"
    for name in names:
        n += 1
        if results[name][0] != "accept":
            print("ok %d - %s in QEMU # SKIP refused by qlaunch" % (n, name))
            continue
        skip = exp.get(name, (None, None))[1]
        if not qemu_ok or skip:
            print("ok %d - %s in QEMU # SKIP %s" % (n, name, skip or "needs qemu and qemu-img"))
            continue
        tmp = tempfile.mkdtemp(prefix="qlrw-")
        try:
            xml = os.path.join(tmp, name)
            with open(os.path.join(corpus, name)) as f:
                text = re.sub(r"mode=(['\"])host-(passthrough|model)\1", r"mode=\1maximum\1",
                              f.read())
            with open(xml, "w") as f:
                f.write(text)
            failed += not qa.tap_case(n, name + " in QEMU", qlaunch, xml)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
