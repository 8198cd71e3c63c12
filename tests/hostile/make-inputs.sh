#!/bin/sh
# Writes the hostile domain XML inputs into OUTDIR (created if needed). Big files are made here,
# at test time, and never committed. Used by tests/hostile/hostile.tap.
#
#   billion-laughs.xml  nested internal entities (exponential expansion)
#   xxe.xml             SYSTEM entity reading /etc/passwd
#   external-dtd.xml    DOCTYPE with an external (network) DTD
#   big-100m.xml        100 MiB: a valid start, whitespace, a valid end
#   deep-10000.xml      10000 nested elements inside <metadata>
#   invalid-utf8.xml    bytes that are not UTF-8 inside <name>
#   empty.xml           0 bytes
#   whitespace.xml      only spaces, tabs and newlines
#   wrong-root.xml      a libvirt <network> instead of a <domain>
#   name-newline.xml    a newline inside <name>
#   name-comma.xml      a comma inside <name> (valid: QEMU escapes it)
#   nul-byte.xml        a NUL byte inside <name>
#   truncated.xml       a document cut off in the middle of an element
#   xinclude.xml        <xi:include href="/etc/passwd" parse="text"/>
#   a-directory/        a directory where a file is expected
#   channel-target-type.xml    a channel <target type='a'> (crashed: NULL reached strcmp)
#   channel-name-traversal.xml a virtio channel named '../../../tmp/x' without a source path
#   vnc-listen-option.xml      a VNC listen address 'websocket=0.0.0.0' (option syntax)
#   name-leading-dot.xml       a domain named '.hidden' (create refuses it)
#   name-long-socket.xml       a 150-byte name: the run directory's sockets would not fit
#   many-siblings.xml          80,000 unknown sibling elements, 400 KB (was quadratic: 22 s)
#   many-vcpupins.xml          99,000 <vcpupin> of a vCPU that does not exist (quadratic)
#   many-attributes.xml        300,000 attributes on one element (libxml2: minutes)
#   many-elements.xml          3.5 MB of empty elements, over the element cap
# (the "missing file" case is OUTDIR/missing.xml, which this script never creates)
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"

# A small valid domain whose <name> is $1 (written as is).
domain_named() {
    printf '<domain type="qemu">\n<name>%s</name>\n<memory unit="MiB">256</memory>\n' "$1"
    printf '<os><type arch="x86_64">hvm</type></os>\n</domain>\n'
}

cat >"$out/billion-laughs.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE domain [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<domain type="qemu">
<name>t</name>
<description>&lol9;</description>
<memory unit="MiB">256</memory>
<os><type arch="x86_64">hvm</type></os>
</domain>
XML

cat >"$out/xxe.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE domain [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<domain type="qemu">
<name>&xxe;</name>
<description>&xxe;</description>
<memory unit="MiB">256</memory>
<os><type arch="x86_64">hvm</type></os>
</domain>
XML

cat >"$out/external-dtd.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE domain SYSTEM "http://192.0.2.1/domain.dtd">
<domain type="qemu">
<name>t</name>
<memory unit="MiB">256</memory>
<os><type arch="x86_64">hvm</type></os>
</domain>
XML

# 100 MiB: the first 4 lines of a valid domain, whitespace, then the rest.
{
    printf '<domain type="qemu">\n<name>big</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n'
    head -c 104857000 /dev/zero | tr '\000' ' '
    printf '\n</domain>\n'
} >"$out/big-100m.xml"

{
    printf '<domain type="qemu">\n<name>deep</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n<metadata>'
    awk 'BEGIN { for (i = 0; i < 10000; i++) printf "<a>"; for (i = 0; i < 10000; i++) printf "</a>" }'
    printf '</metadata>\n</domain>\n'
} >"$out/deep-10000.xml"

# \377\376 can never appear in UTF-8; \303( is a truncated 2-byte sequence.
domain_named "$(printf 'bad\377\376name\303(')" >"$out/invalid-utf8.xml"

: >"$out/empty.xml"
printf '   \n\t\n  \r\n\n' >"$out/whitespace.xml"

cat >"$out/wrong-root.xml" <<'XML'
<network>
<name>default</name>
<bridge name="virbr0"/>
</network>
XML

domain_named "$(printf 'line1\nline2')" >"$out/name-newline.xml"
domain_named 'web,prod,id=evil' >"$out/name-comma.xml"

{
    printf '<domain type="qemu">\n<name>nul'
    printf '\000'
    printf 'byte</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n</domain>\n'
} >"$out/nul-byte.xml"

printf '<domain type="qemu">\n<name>t</name>\n<memory unit="MiB">256</mem' >"$out/truncated.xml"

cat >"$out/xinclude.xml" <<'XML'
<domain type="qemu" xmlns:xi="http://www.w3.org/2001/XInclude">
<name>t</name>
<memory unit="MiB">256</memory>
<os><type arch="x86_64">hvm</type></os>
<xi:include href="/etc/passwd" parse="text"/>
</domain>
XML

mkdir -p "$out/a-directory"
rm -f "$out/missing.xml"

# A valid domain with $1 inside <devices>.
domain_devices() {
    printf '<domain type="qemu">\n<name>t</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n<devices>\n%s\n</devices>\n</domain>\n' "$1"
}
domain_devices "<channel type='pty'><target type='a'/></channel>" >"$out/channel-target-type.xml"
domain_devices "<channel type='unix'><source mode='bind'/><target type='virtio' name='../../../tmp/x'/></channel>" \
    >"$out/channel-name-traversal.xml"
domain_devices "<graphics type='vnc' listen='websocket=0.0.0.0'/>" >"$out/vnc-listen-option.xml"
domain_named '.hidden' >"$out/name-leading-dot.xml"
domain_named "$(awk 'BEGIN { for (i = 0; i < 150; i++) printf "n" }')" >"$out/name-long-socket.xml"

# Big documents: each element and attribute on the same line keeps line numbers exact.
many() {    # many COUNT TEXT: TEXT COUNT times
    awk -v n="$1" -v t="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", t }'
}
{
    printf '<domain type="qemu">\n<name>t</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n'
    many 80000 '<x/>'
    printf '\n</domain>\n'
} >"$out/many-siblings.xml"
{
    printf '<domain type="qemu">\n<name>t</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n<vcpu>2</vcpu>\n<cputune>\n'
    many 99000 '<vcpupin vcpu="5" cpuset="0"/>'
    printf '\n</cputune>\n</domain>\n'
} >"$out/many-vcpupins.xml"
{
    printf '<domain type="qemu">\n<name>t</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n<features\n'
    awk 'BEGIN { for (i = 0; i < 300000; i++) printf " a%d=\"\"", i }'
    printf '/>\n</domain>\n'
} >"$out/many-attributes.xml"
{
    printf '<domain type="qemu">\n<name>t</name>\n<memory unit="MiB">256</memory>\n'
    printf '<os><type arch="x86_64">hvm</type></os>\n<metadata>\n'
    many 875000 '<x/>'
    printf '\n</metadata>\n</domain>\n'
} >"$out/many-elements.xml"
