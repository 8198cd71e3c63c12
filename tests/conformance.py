#!/usr/bin/env python3
"""Conformance report over the libvirt corpus (../shared/conformance/libvirt).

validate: each NAME.xml is accepted or rejected; rejections are grouped by reason.
argv: for accepted cases, qlaunch's argv is compared with libvirt's NAME.x86_64-latest.args
by meaning (see compare_argv); the first difference is shown.
Any crash (signal, or exit status other than 0/1) or hang fails the run.
"""
import collections
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import argvcompare  # noqa: E402  (written alongside the builder)
except ImportError:  # pragma: no cover
    argvcompare = None


def reason_of(diag):
    """Group diagnostics by message shape: drop quoted values, numbers and line refs."""
    msg = diag["message"]
    where = re.sub(r"\[\d+\]", "", diag["where"])
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"\b\d+\b", "N", msg)
    return f"{where}: {msg}"


def main():
    qlaunch, corpus = sys.argv[1], sys.argv[2]
    verbose = os.environ.get("V") == "1"
    if not os.path.isdir(corpus):
        print(f"conformance: corpus directory '{corpus}' does not exist "
              "(set CONFORMANCE_DIR)", file=sys.stderr)
        return 1
    names = sorted(f[:-4] for f in os.listdir(corpus) if f.endswith(".xml"))
    accepted, rejected, crashed = [], collections.Counter(), []
    examples = {}
    cmp_stats = collections.Counter()
    cmp_first = {}
    for name in names:
        path = os.path.join(corpus, name + ".xml")
        try:
            p = subprocess.run([qlaunch, "validate", "--json", path], capture_output=True,
                               text=True, timeout=20)
        except subprocess.TimeoutExpired:
            crashed.append((name, "timeout"))
            continue
        if p.returncode not in (0, 1):
            crashed.append((name, f"exit {p.returncode}: {p.stderr.strip()[:200]}"))
            continue
        doc = json.loads(p.stdout)
        f = doc["files"][0]
        if f["valid"]:
            accepted.append(name)
        else:
            errs = [d for d in f["diagnostics"] if d["level"] == "error"]
            r = reason_of(errs[0]) if errs else "(no diagnostic)"
            rejected[r] += 1
            examples.setdefault(r, name)
    if argvcompare is not None:
        for name in accepted:
            res, detail = argvcompare.compare_case(qlaunch, corpus, name)
            cmp_stats[res] += 1
            if res != "match":
                cmp_first[name] = detail
            if res == "crash":
                crashed.append((name, detail))

    # libvirt's expanded form of each case (expanded/NAME.x86_64-latest.xml: its addresses,
    # implicit controllers and defaults, what `virsh dumpxml` prints): must be accepted
    # whenever the case itself is.
    exp_accepted, exp_lost = 0, []
    for name in names:
        path = os.path.join(corpus, "expanded", name + ".x86_64-latest.xml")
        if not os.path.exists(path):
            continue
        try:
            p = subprocess.run([qlaunch, "validate", "--json", path], capture_output=True,
                               text=True, timeout=20)
        except subprocess.TimeoutExpired:
            crashed.append((name + " (expanded)", "timeout"))
            continue
        if p.returncode not in (0, 1):
            crashed.append((name + " (expanded)", f"exit {p.returncode}"))
            continue
        f = json.loads(p.stdout)["files"][0]
        if f["valid"]:
            exp_accepted += 1
        elif name in accepted:
            errs = [d for d in f["diagnostics"] if d["level"] == "error"]
            exp_lost.append((name, reason_of(errs[0]) if errs else "(no diagnostic)"))

    total = len(names)
    print(f"conformance corpus: {corpus}")
    print(f"cases: {total}")
    print(f"validate: accepted {len(accepted)}, rejected {sum(rejected.values())}, "
          f"crashed {len(crashed)}")
    print("rejected by reason (count, reason, example case):")
    for r, n in rejected.most_common():
        print(f"  {n:4d}  {r}  [{examples[r]}]")
    if argvcompare is not None:
        print(f"argv vs libvirt: matching {cmp_stats['match']}, differing {cmp_stats['differ']}, "
              f"rejected by builder {cmp_stats['rejected']}")
        for name, detail in sorted(cmp_first.items()):
            if verbose or True:
                print(f"  {name}: {detail}")
    print(f"expanded form: accepted {exp_accepted}; rejected although the case is accepted: "
          f"{len(exp_lost)}")
    for name, why in exp_lost:
        print(f"  {name}: {why}")
    for name, why in crashed:
        print(f"CRASH {name}: {why}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
