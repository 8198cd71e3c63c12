#!/bin/sh
# The fleet examples (examples/fleet, docs/fleet.md), checked offline:
# - Nomad job and Kubernetes DaemonSet: parsed (a small HCL reader; python3-yaml) and held to
#   the contract of `qlaunch create --foreground` (fleet-check.py); the domain XML each
#   embeds validates and is the Ansible example's;
# - the Containerfile installs the package and runs qlaunch;
# - the Ansible playbook: ansible-playbook --syntax-check, then run for real on this host
#   (connection local, the non-systemd path, definitions in $T) with the test guest: the first
#   run defines, marks and starts the domain, a second run changes nothing, a changed XML is
#   defined again and (qlaunch_restart_changed) the domain restarted with it. Without
#   ansible-core (scripts/install-deps.sh installs it) only its YAML structure is checked.
set -u
QL_TAG=flt
. "$top_srcdir/tests/func/lib.sh"
F="$top_srcdir/examples/fleet"
q() { "$QLAUNCH" "$@"; }

# --- Nomad, Kubernetes: structure, and the same valid domain everywhere ---
python3 "$top_srcdir/tests/func/fleet-check.py" nomad "$F/nomad/web1.nomad.hcl" "$T/nomad.xml" ||
    fail "the Nomad job"
python3 "$top_srcdir/tests/func/fleet-check.py" kubernetes "$F/kubernetes/web1.yaml" "$T/k8s.xml" ||
    fail "the Kubernetes spec"
norm() { grep -v '^<!--\|^     ' "$1" | sed 's/^ *//' | grep -v '^$'; }
for x in nomad k8s; do
    q validate --no-emulator "$T/$x.xml" > "$T/out" 2>&1 || fail "$x XML: $(cat "$T/out")"
    [ "$(cat "$T/out")" = "$T/$x.xml: ok" ] || fail "$x XML has notes: $(cat "$T/out")"
    [ "$(norm "$T/$x.xml")" = "$(norm "$F/ansible/files/web1.xml")" ] ||
        fail "the $x domain differs from examples/fleet/ansible/files/web1.xml"
done
grep -q '^COPY qlaunch_\*\.deb' "$F/kubernetes/Containerfile" &&
    grep -q '^ENTRYPOINT \["qlaunch"\]' "$F/kubernetes/Containerfile" || fail "the Containerfile"
grep -q 'image: .*qlaunch' "$F/kubernetes/web1.yaml" || fail "the DaemonSet's image is not qlaunch's"
echo "ok Nomad job and Kubernetes DaemonSet"

# --- Ansible ---
if ! command -v ansible-playbook > /dev/null; then
    python3 - "$F/ansible/qlaunch.yml" "$F/ansible/domain.yml" <<'PY' || fail "the playbook's structure"
import sys, yaml
play, = yaml.safe_load(open(sys.argv[1]))
assert play["tasks"][-1]["ansible.builtin.include_tasks"] == "domain.yml"
mods = {k for t in yaml.safe_load(open(sys.argv[2])) for k in t if k.startswith("ansible.")}
assert mods >= {"ansible.builtin.copy", "ansible.builtin.command", "ansible.builtin.systemd"}
PY
    echo "ansible-playbook not installed: the playbook's YAML structure was checked only"
    echo "PASS: fleet"
    exit 0
fi
export ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" ANSIBLE_REMOTE_TEMP="$T/ansible-tmp" \
    ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=0 ANSIBLE_HOME="$T/ansible-home" \
    ANSIBLE_GATHERING=explicit
ql_domain_xml "$T/dom.xml"
# The playbook's variables for this host: the built qlaunch, no package, the test's own
# directories, the path without systemd (a host whose PID 1 is systemd would otherwise
# take the unit's path, which needs the unit installed); given, so no facts are gathered.
python3 - "$T" "$QLAUNCH" "$NAME" > "$T/vars.json" <<'PY'
import json, sys
t, ql, name = sys.argv[1:]
env = {"QLAUNCH_DOMAIN_DIR": t + "/defs", "QLAUNCH_RUN_DIR": t + "/run",
       "QLAUNCH_LOG_DIR": t + "/log"}
print(json.dumps({"qlaunch_hosts": "localhost", "ansible_connection": "local",
                  "ansible_python_interpreter": "/usr/bin/python3", "ansible_become": False,
                  "ansible_service_mgr": "sysvinit", "qlaunch_install_package": False,
                  "qlaunch_bin": ql, "qlaunch_domain_dir": env["QLAUNCH_DOMAIN_DIR"],
                  "qlaunch_stage_dir": t + "/stage", "qlaunch_env": env,
                  "qlaunch_restart_changed": True,
                  "qlaunch_domains": [{"name": name, "xml": t + "/dom.xml"}]}))
PY
play() { ansible-playbook -i localhost, -e "@$T/vars.json" "$F/ansible/qlaunch.yml" "$@"; }
play --syntax-check > "$T/out" 2>&1 || fail "ansible-playbook --syntax-check: $(cat "$T/out")"
# recap VAR: the number after VAR= in the play recap of $T/out
recap() { sed -n "s/^localhost .* $1=\([0-9]*\).*/\1/p" "$T/out"; }

play > "$T/out" 2>&1 || fail "first run: $(tail -30 "$T/out")"
[ "$(recap changed)" -ge 3 ] || fail "first run changed $(recap changed) things: $(tail -30 "$T/out")"
export QLAUNCH_DOMAIN_DIR="$T/defs"
[ -f "$T/defs/$NAME.xml" ] || fail "the playbook did not define $NAME"
[ -L "$T/defs/autostart/$NAME.xml" ] || fail "the playbook did not mark $NAME autostart"
[ "$(q domstate "$NAME")" = running ] || fail "after the first run $NAME is $(q domstate "$NAME")"
pid1=$(q dominfo "$NAME" | sed -n 's/^QEMU pid: *//p')
echo "ok the first run defines, marks and starts"

play > "$T/out" 2>&1 || fail "second run: $(tail -30 "$T/out")"
[ "$(recap changed)" = 0 ] || fail "second run changed $(recap changed) things: $(grep -B1 '^changed' "$T/out")"
[ "$(q dominfo "$NAME" | sed -n 's/^QEMU pid: *//p')" = "$pid1" ] || fail "the second run restarted the domain"
echo "ok a second run changes nothing"

QL_MEMORY_MIB=160 ql_domain_xml "$T/dom.xml"
play > "$T/out" 2>&1 || fail "run with a changed XML: $(tail -30 "$T/out")"
q dumpxml --inactive "$NAME" | grep -q ">160</memory>" || fail "the changed XML was not defined"
[ "$(q domstate "$NAME")" = running ] || fail "after the change $NAME is $(q domstate "$NAME")"
q dumpxml "$NAME" | grep -q ">160</memory>" || fail "the domain runs the old definition"
[ "$(q dominfo "$NAME" | sed -n 's/^QEMU pid: *//p')" != "$pid1" ] || fail "the domain was not restarted"
echo "ok a changed XML is defined again and the domain restarted with it"
echo "PASS: fleet"
exit 0
