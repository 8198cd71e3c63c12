#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora and dictionaries into OUTDIR (made at build time, never
committed): tests/fuzz/make-seeds.py SRCDIR OUTDIR [CONFORMANCE_DIR]

  OUTDIR/domain/    tests/xml2argv/*.xml, examples/*.xml and the libvirt conformance
                    inputs (CONFORMANCE_DIR/*.xml, expanded/*.xml)
  OUTDIR/network/   the network definitions in tests/unit/test-host-net.c
  OUTDIR/qmp/       QEMU's side of tests/qmp/*.replies, with the reply ids the harness uses
The committed hand seeds (tests/fuzz/seeds/NAME: hostile inputs, past findings, state
files) are a second corpus directory the runs read; see tests/fuzz/run.sh.
  OUTDIR/firmware/  /usr/share/qemu/firmware/*.json (and /etc/qemu/firmware) when present
  OUTDIR/xml.dict   tests/fuzz/xml.dict plus every name the XML parsers look for
  OUTDIR/json.dict  tests/fuzz/json.dict plus every key the JSON readers look for
"""
import glob
import hashlib
import json
import os
import re
import shutil
import struct
import sys

MAX_SEED = 64 * 1024


def put(outdir, kind, data):
    """Stores one seed under its content hash (duplicates collapse)."""
    if isinstance(data, str):
        data = data.encode()
    if not data or len(data) > MAX_SEED:
        return
    d = os.path.join(outdir, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)


def copy_files(outdir, kind, paths):
    for p in paths:
        if os.path.isfile(p) and os.path.getsize(p) <= MAX_SEED:
            with open(p, 'rb') as f:
                put(outdir, kind, f.read())


# The harness's commands, in order (tests/fuzz/fuzz-qmp.c): query-name is queued before the
# greeting (id 1), qmp_capabilities is sent on the greeting (id 2), then one sync call each.
QMP_IDS = {'query-name': 1, 'qmp_capabilities': 2, 'query-status': 3, 'query-chardev': 4,
           'query-pci': 5, 'human-monitor-command': 6, 'cont': 7, 'set-action': 8}


def read_replies(path):
    """(greeting, {command: reply object}, [event objects]) of one transcript."""
    greeting, replies, events, sent = None, {}, [], {}
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('-> '):
                msg = json.loads(line[3:])
                sent[msg.get('id')] = msg.get('execute')
            elif line.startswith('<- '):
                msg = json.loads(line[3:])
                if 'QMP' in msg:
                    greeting = msg
                elif 'event' in msg:
                    events.append(msg)
                elif 'id' in msg and sent.get(msg['id']):
                    replies.setdefault(sent[msg['id']], msg)
    return greeting, replies, events


def qmp_stream(greeting, replies, events):
    out = [greeting]
    for cmd, cid in sorted(QMP_IDS.items(), key=lambda kv: kv[1]):
        if cmd == 'query-name':
            continue
        r = dict(replies.get(cmd, {'return': {}}))
        r['id'] = cid
        out.append(r)
        if cmd == 'qmp_capabilities':
            out.append({'return': {'name': 'fuzz'}, 'id': QMP_IDS['query-name']})
    out.extend(events)
    return ''.join(json.dumps(m) + '\r\n' for m in out)


def qmp_seeds(srcdir, outdir):
    all_replies, all_events, greeting = {}, [], None
    for p in sorted(glob.glob(os.path.join(srcdir, 'tests/qmp/*.replies'))):
        g, replies, events = read_replies(p)
        if not g:
            continue
        greeting = greeting or g
        for k, v in replies.items():
            all_replies.setdefault(k, v)
        all_events.extend(events)
        stream = qmp_stream(g, replies, events).encode()
        # The first 4 bytes choose the chunking: whole stream, 1-byte and 100-byte chunks.
        for seed in (7, 0, 3):
            put(outdir, 'qmp', struct.pack('<I', seed) + stream)
    if greeting:
        stream = qmp_stream(greeting, all_replies, all_events).encode()
        for seed in range(8):
            put(outdir, 'qmp', struct.pack('<I', seed * 0x01010101) + stream)


def network_seeds(srcdir, outdir):
    """The <network> documents written as C strings in the host network unit test."""
    path = os.path.join(srcdir, 'tests/unit/test-host-net.c')
    if not os.path.exists(path):
        return
    text = open(path).read()
    for m in re.finditer(r'((?:"(?:[^"\\]|\\.)*"\s*)+)', text):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
        s = ''.join(parts).encode().decode('unicode_escape')
        if s.lstrip().startswith('<network'):
            put(outdir, 'network', s)


def literals(paths, pattern):
    names = set()
    for p in paths:
        for s in re.findall(r'"([^"\\%]*)"', open(p, errors='replace').read()):
            if re.fullmatch(pattern, s):
                names.add(s)
    return sorted(names)


def write_dict(base, outpath, entries):
    with open(outpath, 'w') as f:
        if os.path.exists(base):
            f.write(open(base).read())
        for e in entries:
            f.write('"%s"\n' % e.replace('\\', '\\\\').replace('"', '\\"'))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    srcdir, outdir = sys.argv[1], sys.argv[2]
    conf = sys.argv[3] if len(sys.argv) > 3 else ''
    for kind in ('domain', 'network', 'qmp', 'firmware'):
        shutil.rmtree(os.path.join(outdir, kind), ignore_errors=True)
        os.makedirs(os.path.join(outdir, kind))

    copy_files(outdir, 'domain', glob.glob(os.path.join(srcdir, 'tests/xml2argv/*.xml')))
    copy_files(outdir, 'domain', glob.glob(os.path.join(srcdir, 'examples/*.xml')))
    if conf and os.path.isdir(conf):
        copy_files(outdir, 'domain', glob.glob(os.path.join(conf, '*.xml')))
        copy_files(outdir, 'domain', glob.glob(os.path.join(conf, 'expanded/*.xml')))

    network_seeds(srcdir, outdir)
    qmp_seeds(srcdir, outdir)
    copy_files(outdir, 'firmware', glob.glob('/usr/share/qemu/firmware/*.json'))
    copy_files(outdir, 'firmware', glob.glob('/etc/qemu/firmware/*.json'))

    xml_src = glob.glob(os.path.join(srcdir, 'src/domain/*.c'))
    names = literals(xml_src, r'[A-Za-z][A-Za-z0-9_.:-]{1,40}')
    write_dict(os.path.join(srcdir, 'tests/fuzz/xml.dict'), os.path.join(outdir, 'xml.dict'),
               names + ['<%s' % n for n in names if re.fullmatch(r'[a-z][a-zA-Z0-9_-]*', n)])
    json_src = (glob.glob(os.path.join(srcdir, 'qmp/*.c')) +
                [os.path.join(srcdir, p) for p in ('src/supervise/state.c',
                                                   'src/host/firmware.c')])
    keys = literals(json_src, r'[A-Za-z][A-Za-z0-9_.:-]{1,40}')
    write_dict(os.path.join(srcdir, 'tests/fuzz/json.dict'), os.path.join(outdir, 'json.dict'),
               keys + ['"%s":' % k for k in keys])


if __name__ == '__main__':
    main()
