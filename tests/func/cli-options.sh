#!/bin/sh
# Every verb has its own options and help: --help prints the verb's usage (exit 0); an
# unknown option, another verb's option, a bad option value or a wrong number of operands
# is a usage error (the verb's usage on stderr, exit 2); a failure at run time is exit 1.
# No QEMU: nothing here gets as far as starting a domain.
set -u
: "${QLAUNCH:?}"
T=$(mktemp -d /tmp/ql-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
export QLAUNCH_RUN_DIR="$T/run" QLAUNCH_LOG_DIR="$T/log"
errors=0
bad() { echo "FAIL: $*"; errors=$((errors + 1)); }

# run WANT_STATUS ARGS...: runs qlaunch, output in $T/out and $T/err.
run() {
    want=$1; shift
    "$QLAUNCH" "$@" > "$T/out" 2> "$T/err" < /dev/null
    st=$?
    [ "$st" = "$want" ] && return 0
    bad "qlaunch $* exited $st, want $want: $(head -3 "$T/err")"
    return 1
}
# usage VERB ARGS...: a usage error of VERB, with its usage on stderr and nothing on stdout.
usage() {
    v=$1
    run 2 "$@" || return
    grep -q "^Usage: qlaunch $v " "$T/err" || bad "qlaunch $*: no usage of $v on stderr"
    grep -q "^qlaunch $v: " "$T/err" || bad "qlaunch $*: the message does not name $v"
    [ -s "$T/out" ] && bad "qlaunch $*: usage error printed on stdout"
}

# verb operands: the operands each verb needs, and its options (one from each other verb
# is tried on it below).
verbs="validate argv create start list dominfo domdisplay domstate shutdown reboot destroy
       suspend resume console qmp events domblklist domiflist domblkstat domifstat dommemstat
       vcpuinfo dumpxml change-media send-key screenshot setmem attach-device detach-device
       attach-disk detach-disk attach-interface detach-interface setvcpus
       define undefine autostart edit"
operands() {
    case $1 in
    validate|argv|create|start|define) echo "$T/dom.xml" ;;
    list) echo "" ;;
    qmp) echo "vm1 {}" ;;
    domifstat) echo "vm1 vnet0" ;;
    change-media) echo "vm1 hdc $T/dom.xml" ;;
    send-key) echo "vm1 KEY_A" ;;
    setmem) echo "vm1 1G" ;;
    attach-device|detach-device) echo "vm1 $T/dom.xml" ;;
    attach-disk) echo "vm1 $T/dom.xml vdb" ;;
    detach-disk) echo "vm1 vdb" ;;
    attach-interface|detach-interface) echo "vm1 user" ;;
    setvcpus) echo "vm1 2" ;;
    *) echo vm1 ;;
    esac
}
own_options() {
    case $1 in
    validate) echo "--json --no-emulator" ;;
    argv) echo "--accel --emulator --json --run-dir" ;;
    create|start) echo "--foreground --console --accel --emulator --dump-dir --restart-cap
                       --restart-window --stop-timeout --qmp-log --run-dir --log-dir
                       $([ "$1" = start ] && echo --all-autostart)" ;;
    list) echo "--all --persistent --transient --autostart --name --json --run-dir --log-dir" ;;
    define|edit) echo "" ;;
    undefine) echo "--nvram --tpm --run-dir --log-dir" ;;
    autostart) echo "--disable" ;;
    dumpxml) echo "--inactive --run-dir --log-dir" ;;
    dominfo) echo "--json --run-dir --log-dir" ;;
    domdisplay) echo "--all --run-dir --log-dir" ;;
    domstate) echo "--reason --json --run-dir --log-dir" ;;
    shutdown|events) echo "--timeout $([ "$1" = events ] && echo --count || echo --mode) --run-dir
                          --log-dir" ;;
    reboot) echo "--mode --run-dir --log-dir" ;;
    destroy) echo "--graceful --run-dir --log-dir" ;;
    domblklist) echo "--details --json --run-dir --log-dir" ;;
    domiflist|domblkstat|domifstat|dommemstat|vcpuinfo) echo "--json --run-dir --log-dir" ;;
    change-media) echo "--eject --insert --update --force --live --current --run-dir --log-dir" ;;
    send-key) echo "--codeset --holdtime --run-dir --log-dir" ;;
    setmem) echo "--live --current --run-dir --log-dir" ;;
    attach-device|setvcpus) echo "--live --current --config --persistent --run-dir --log-dir" ;;
    detach-device|detach-disk) echo "--live --current --config --persistent --timeout
                                     --run-dir --log-dir" ;;
    detach-interface) echo "--live --current --config --persistent --timeout --mac --run-dir
                            --log-dir" ;;
    attach-disk) echo "--live --current --config --persistent --targetbus --subdriver --mode
                       --cache --type --run-dir --log-dir" ;;
    attach-interface) echo "--live --current --config --persistent --model --mac --target
                            --run-dir --log-dir" ;;
    *) echo "--run-dir --log-dir" ;;
    esac
}
all_options="--json --no-emulator --accel --emulator --run-dir --log-dir --foreground --console --dump-dir
             --restart-cap --restart-window --qmp-log --all --reason --timeout --graceful --count
             --details --eject --insert --update --force --codeset --holdtime --live --current
             --persistent --transient --autostart --name --nvram --tpm --disable --inactive --stop-timeout
             --all-autostart --config --targetbus --subdriver --mode --cache --type --model
             --mac --target"
takes_arg() {
    case $1 in
    --accel|--emulator|--run-dir|--log-dir|--dump-dir|--restart-cap|--restart-window|--stop-timeout|\
    --timeout|--count|--codeset|--holdtime|--targetbus|--subdriver|--mode|--cache|--type|\
    --model|--mac|--target) return 0 ;;
    esac
    return 1
}

for v in $verbs; do
    ops=$(operands "$v")
    # --help and -h: the verb's usage and its options on stdout, exit 0
    for h in --help -h; do
        run 0 "$v" "$h" || continue
        grep -q "^Usage: qlaunch $v" "$T/out" || bad "$v $h: no usage: $(head -2 "$T/out")"
        # --quiet and --verbose: every verb's
        for o in $(own_options "$v") --quiet --verbose --help; do
            grep -q -- "$o" "$T/out" || bad "$v $h does not describe $o"
        done
    done
    # --help wins over operands and is not mistaken for one
    run 0 "$v" $ops --help && grep -q "^Usage: qlaunch $v" "$T/out" ||
        bad "$v $ops --help: no usage"

    usage "$v" --no-such-option $ops
    usage "$v" -x $ops
    # every option that is not the verb's own is refused
    own=" $(own_options "$v" | tr '\n' ' ') "
    for o in $all_options; do
        case $own in *" $o "*) continue ;; esac
        # an unambiguous abbreviation of an own option is that option (getopt_long)
        case $own in *" $o"*) continue ;; esac
        if takes_arg "$o"; then usage "$v" "$o" 3 $ops; else usage "$v" "$o" $ops; fi
        grep -q "'$o' is not an option of $v" "$T/err" ||
            bad "$v $o: unexpected message: $(head -1 "$T/err")"
    done
    # operand count
    case $v in
    list) usage list extra ;;
    validate) usage validate ;;
    qmp) usage qmp; usage qmp vm1; usage qmp vm1 '{}' extra ;;
    domblkstat|screenshot) usage "$v"; usage "$v" vm1 a b ;;
    domifstat|setmem|attach-device|detach-device|detach-disk|setvcpus|detach-interface)
        usage "$v"; usage "$v" vm1; usage "$v" $ops extra ;;
    attach-disk) usage "$v"; usage "$v" vm1 a; usage "$v" $ops extra ;;
    attach-interface) usage "$v"; usage "$v" vm1 user a b ;;
    change-media) usage "$v"; usage "$v" vm1; usage "$v" $ops extra ;;
    send-key) usage "$v"; usage "$v" vm1 ;;
    *) usage "$v"; usage "$v" $ops extra ;;
    esac
done

# The examples from the issue.
usage list --graceful --accel kvm --restart-cap 3 --console
usage destroy --accel kvm vm1
usage dominfo --restart-cap 3 vm1
usage shutdown --console vm1
usage create --all "$T/dom.xml"
# Bad option values and missing arguments are usage errors too.
usage create --accel xen "$T/dom.xml"
usage argv --accel xen "$T/dom.xml"
usage create --restart-cap -1 "$T/dom.xml"
usage create --restart-window 1x "$T/dom.xml"
usage start --stop-timeout -1 vm1
usage create --console --foreground "$T/dom.xml"
usage start --all-autostart vm1
usage start --all-autostart --foreground
usage list --persistent --transient
usage list --name --json
usage shutdown --timeout soon vm1
usage events --count -2 vm1
usage shutdown vm1 --timeout
usage change-media --eject --insert vm1 hdc
usage change-media --insert vm1 hdc
usage change-media --eject vm1 hdc "$T/dom.xml"
usage setmem vm1 12parsecs
usage setmem vm1 -5M
usage send-key --holdtime long vm1 KEY_A
usage destroy --graceful=yes vm1
grep -q "option '--graceful' takes no argument" "$T/err" || bad "--graceful=yes: $(head -1 "$T/err")"

# No verb, an unknown verb: usage errors; --help lists every verb.
run 2
run 2 frobnicate
grep -q "unknown verb 'frobnicate'" "$T/err" || bad "unknown verb: $(cat "$T/err")"
run 0 --help && for v in $verbs; do
    grep -q "^  $v " "$T/out" || bad "qlaunch --help does not list $v"
done

# Run-time failures are exit 1, also with options after the operand (they are parsed).
for v in dominfo domdisplay domstate shutdown reboot destroy suspend resume console events \
         domblklist domiflist domblkstat dommemstat vcpuinfo dumpxml screenshot; do
    run 1 "$v" nosuchvm || continue
    grep -q "nosuchvm" "$T/err" || bad "$v nosuchvm: $(cat "$T/err")"
done
run 1 domifstat nosuchvm vnet0
run 1 setmem nosuchvm 1G
run 1 send-key nosuchvm KEY_A
run 1 change-media nosuchvm hdc --eject
run 1 domstate nosuchvm --reason
run 1 destroy nosuchvm --graceful
run 1 qmp nosuchvm '{"execute":"query-status"}'
run 1 create "$T/missing.xml"
# Persistent domains (the store in QLAUNCH_DOMAIN_DIR): an unknown name is exit 1.
export QLAUNCH_DOMAIN_DIR="$T/defs"
for v in start undefine autostart dumpxml edit; do
    run 1 "$v" nosuchvm && { grep -q "'nosuchvm' is not.* defined" "$T/err" ||
                                 bad "$v nosuchvm: $(cat "$T/err")"; }
done
run 1 define "$T/missing.xml"
run 0 start --all-autostart
run 0 list --all --name && [ ! -s "$T/out" ] || bad "list --all --name on no domains: $(cat "$T/out")"
run 0 list --all --json && [ "$(tr -d ' \n' < "$T/out")" = "[]" ] ||
    bad "list --all --json on no domains: $(cat "$T/out")"
# Options belong to the verb: before it they are an unknown verb.
run 2 --run-dir "$T/elsewhere" list

# argv prints the paths a start would use: the run directory of --run-dir, else of
# QLAUNCH_RUN_DIR (issue 13, item 17), for the QMP socket and automatic channel sockets.
cat > "$T/chan.xml" <<'XML'
<domain type='qemu'><name>argvpaths</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
    <channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
  </devices></domain>
XML
if run 0 argv "$T/chan.xml"; then
    n=$(grep -c "$T/run/argvpaths/" "$T/out")
    [ "$n" -ge 2 ] || bad "argv with QLAUNCH_RUN_DIR: $n paths under $T/run/argvpaths: $(cat "$T/out")"
    grep -q "/run/qlaunch" "$T/out" && bad "argv with QLAUNCH_RUN_DIR still prints /run/qlaunch"
fi
if run 0 argv --run-dir "$T/other" "$T/chan.xml"; then
    n=$(grep -c "$T/other/argvpaths/" "$T/out")
    [ "$n" -ge 2 ] || bad "argv --run-dir: $n paths under $T/other/argvpaths: $(cat "$T/out")"
fi

# The emulator's capabilities (issue 9): a machine type this QEMU lacks is refused by
# validate, argv and create with the element, before any process starts; validate
# --no-emulator checks the XML alone.
if [ -x /usr/bin/qemu-system-x86_64 ]; then
    export QLAUNCH_CACHE_DIR="$T/cache"
    sed "s|machine='pc'|machine='pc-i440fx-99.0'|" "$T/chan.xml" > "$T/m99.xml"
    for v in validate argv create; do
        run 1 $v "$T/m99.xml" &&
            { grep -q "os/type@machine: machine type 'pc-i440fx-99.0' is not known to QEMU" "$T/err" ||
                  bad "$v of an unknown machine type: $(cat "$T/err")"; }
    done
    [ ! -e "$T/run/argvpaths" ] || bad "create of an unknown machine type left a run directory"
    run 0 validate --no-emulator "$T/m99.xml"
    ls "$T/cache/caps/"*.caps > /dev/null 2>&1 || bad "no capabilities cached in $T/cache/caps"
fi

[ $errors = 0 ] || { echo "$errors failure(s)"; exit 1; }
echo "PASS: cli-options"
exit 0
