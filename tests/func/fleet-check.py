#!/usr/bin/env python3
"""Offline structural checks of the fleet examples (examples/fleet, docs/fleet.md).

fleet-check.py nomad FILE XMLOUT: parses the Nomad job (HCL, the subset a job file uses:
blocks with labels, attributes, strings, numbers, lists, heredocs; no HCL parser is packaged
in Debian) and checks the contract of `qlaunch create --foreground` under Nomad: raw_exec,
the foreground command, a stop signal the supervisor handles, a kill timeout longer than
--stop-timeout plus the destroy grace, the domain XML where the command reads it.
fleet-check.py kubernetes FILE XMLOUT: the same for the ConfigMap + DaemonSet (python3-yaml):
privileged, /dev/kvm, host network, grace period, the ConfigMap mounted where the command
reads it, a readiness probe asking domstate.
Both write the embedded domain XML to XMLOUT for `qlaunch validate`. Exit 1 with a message
on the first failed check."""
import re
import sys

DESTROY_GRACE_S = 10    # SUP_DESTROY_GRACE_MS: a destroy's SIGTERM-to-SIGKILL grace
STOP_SIGNALS = {"SIGTERM", "SIGINT", "SIGHUP"}


def fail(msg):
    sys.exit(f"{sys.argv[2]}: {msg}")


def check(cond, msg):
    if not cond:
        fail(msg)


# ---- HCL subset -------------------------------------------------------------------------
TOKEN = re.compile(r'''
    (?P<ws>\s+|\#[^\n]*|//[^\n]*)
  | (?P<heredoc><<-?(?P<tag>[A-Za-z_]+)\n)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.-]*)
  | (?P<punct>[{}\[\]=,])
''', re.X)


def tokens(text):
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise SyntaxError(f"unexpected {text[pos:pos + 20]!r} at offset {pos}")
        pos = m.end()
        if m.group("ws"):
            continue
        if m.group("heredoc"):
            end = re.compile(r"^\s*" + m.group("tag") + r"\s*$", re.M).search(text, pos)
            if not end:
                raise SyntaxError(f"heredoc {m.group('tag')} not closed")
            yield ("string", text[pos:end.start()])
            pos = end.end()
        elif m.group("string"):
            yield ("string", bytes(m.group("string")[1:-1], "utf-8").decode("unicode_escape"))
        elif m.group("number"):
            yield ("number", float(m.group("number")))
        elif m.group("ident"):
            yield ("ident", m.group("ident"))
        else:
            yield ("punct", m.group("punct"))


class Parser:
    def __init__(self, text):
        self.t = list(tokens(text))
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else ("eof", None)

    def take(self, kind=None, value=None):
        tok = self.peek()
        if (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            raise SyntaxError(f"expected {value or kind}, found {tok[1]!r}")
        self.i += 1
        return tok

    def body(self, closing):
        """A list of ("attr", name, value) and ("block", name, labels, body)."""
        items = []
        while self.peek() != closing:
            name = self.take("ident")[1]
            if self.peek() == ("punct", "="):
                self.take()
                items.append(("attr", name, self.expr()))
                continue
            labels = []
            while self.peek()[0] == "string":
                labels.append(self.take()[1])
            self.take("punct", "{")
            items.append(("block", name, labels, self.body(("punct", "}"))))
            self.take("punct", "}")
        return items

    def expr(self):
        kind, value = self.take()
        if kind in ("string", "number"):
            return value
        if kind == "ident" and value in ("true", "false"):
            return value == "true"
        if (kind, value) == ("punct", "["):
            out = []
            while self.peek() != ("punct", "]"):
                out.append(self.expr())
                if self.peek() == ("punct", ","):
                    self.take()
            self.take("punct", "]")
            return out
        raise SyntaxError(f"unsupported value {value!r}")


def blocks(body, name):
    return [b for b in body if b[0] == "block" and b[1] == name]


def one_block(body, name, where):
    found = blocks(body, name)
    check(len(found) == 1, f"{where}: want one '{name}' block, found {len(found)}")
    return found[0]


def attr(body, name, where):
    found = [a[2] for a in body if a[0] == "attr" and a[1] == name]
    check(len(found) == 1, f"{where}: no attribute '{name}'")
    return found[0]


def duration_s(v):
    m = re.fullmatch(r"(\d+)(s|m)", str(v))
    check(m, f"duration '{v}' is not Ns or Nm")
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


def foreground_command(argv, where):
    """The qlaunch create --foreground command line: its --stop-timeout and XML path."""
    check(argv and argv[0].split("/")[-1] == "qlaunch", f"{where}: the command is not qlaunch")
    args = argv[1:]
    check(args[:2] == ["create", "--foreground"], f"{where}: not 'create --foreground': {args}")
    stop = 30   # the default of --stop-timeout
    if "--stop-timeout" in args:
        stop = int(args[args.index("--stop-timeout") + 1])
    check(args[-1].endswith(".xml"), f"{where}: the last argument is not the domain XML")
    return stop, args[-1]


def nomad(path, xml_out):
    with open(path) as f:
        try:
            top = Parser(f.read()).body(("eof", None))
        except SyntaxError as e:
            fail(f"HCL: {e}")
    job = one_block(top, "job", "top level")
    check(len(job[2]) == 1, "the job has no name")
    group = one_block(job[3], "group", "job")
    task = one_block(group[3], "task", "group")[3]
    check(attr(task, "driver", "task") == "raw_exec", "the task's driver is not raw_exec")
    config = one_block(task, "config", "task")[3]
    stop, xml = foreground_command([attr(config, "command", "config")] +
                                   attr(config, "args", "config"), "config")
    sig = attr(task, "kill_signal", "task")
    check(sig in STOP_SIGNALS, f"kill_signal {sig} is not one the supervisor stops on")
    kill = duration_s(attr(task, "kill_timeout", "task"))
    check(kill > stop + DESTROY_GRACE_S,
          f"kill_timeout {kill} s leaves no room for --stop-timeout {stop} s + {DESTROY_GRACE_S} s")
    tmpl = one_block(task, "template", "task")[3]
    dest = attr(tmpl, "destination", "template")
    check(xml == "${NOMAD_TASK_DIR}/" + dest.removeprefix("local/"),
          f"the command reads {xml}, the template writes {dest}")
    check(attr(tmpl, "change_mode", "template") == "noop",
          "a changed template must not signal the running domain")
    with open(xml_out, "w") as f:
        f.write(attr(tmpl, "data", "template"))


def kubernetes(path, xml_out):
    import yaml
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    kinds = {d["kind"]: d for d in docs}
    check(set(kinds) == {"ConfigMap", "DaemonSet"}, f"want a ConfigMap and a DaemonSet: {list(kinds)}")
    ds = kinds["DaemonSet"]
    check(ds["apiVersion"] == "apps/v1", "the DaemonSet is not apps/v1")
    check(ds["spec"]["selector"]["matchLabels"].items() <=
          ds["spec"]["template"]["metadata"]["labels"].items(), "the selector misses the pod")
    pod = ds["spec"]["template"]["spec"]
    check(pod.get("hostNetwork") is True, "no hostNetwork: the guest's bridge is the host's")
    check(pod.get("restartPolicy", "Always") == "Always", "a DaemonSet pod restarts Always")
    (c,) = pod["containers"]
    check(c["securityContext"].get("privileged") is True, "the container is not privileged")
    stop, xml = foreground_command(c["command"], "container")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(grace > stop + DESTROY_GRACE_S,
          f"terminationGracePeriodSeconds {grace} leaves no room for --stop-timeout {stop} s")
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    check(set(mounts) <= set(vols), "a volumeMount has no volume")
    kvm = [n for n, v in vols.items() if v.get("hostPath", {}).get("path") == "/dev/kvm"]
    check(kvm and vols[kvm[0]]["hostPath"].get("type") == "CharDevice" and
          mounts.get(kvm[0]) == "/dev/kvm", "/dev/kvm is not mounted from the host")
    check(any(mounts.get(n) == "/run/qlaunch" for n in vols), "no run directory volume")
    cm = kinds["ConfigMap"]
    src = [n for n, v in vols.items() if v.get("configMap", {}).get("name") ==
           cm["metadata"]["name"]]
    check(src, "the ConfigMap is not mounted")
    key = xml[len(mounts[src[0]]) + 1:]
    check(xml.startswith(mounts[src[0]] + "/") and key in cm["data"],
          f"the command reads {xml}, which the ConfigMap does not provide")
    probe = " ".join(c["readinessProbe"]["exec"]["command"])
    check("qlaunch domstate" in probe and "running" in probe,
          "the readiness probe does not ask qlaunch domstate for running")
    with open(xml_out, "w") as f:
        f.write(cm["data"][key])


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("nomad", "kubernetes"):
        sys.exit("usage: fleet-check.py nomad|kubernetes FILE XMLOUT")
    {"nomad": nomad, "kubernetes": kubernetes}[sys.argv[1]](sys.argv[2], sys.argv[3])
