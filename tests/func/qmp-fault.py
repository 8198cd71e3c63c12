#!/usr/bin/env python3
"""Fault injection for tests/func/monitor-loss.tap (needs root, Linux >= 5.6).

  qmp-fault.py cut SUPERVISOR_PID   shut down the supervisor's QMP connection, as a QEMU
                                    that closes its monitor would (pidfd_getfd + shutdown)
  qmp-fault.py hmp QMP_SOCKET CMD   connect to QEMU's monitor directly (it accepts again
                                    once the supervisor's connection is gone), run one
                                    HMP/QMP command, disconnect
  qmp-fault.py idle CTL_SOCKET N SECONDS
                                    hold N idle connections to a control socket
"""
import ctypes
import json
import os
import socket
import sys
import time

SYS_pidfd_getfd = 438


def cut(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    cut_any = False
    for name in os.listdir(f"/proc/{pid}/fd"):
        fd = libc.syscall(SYS_pidfd_getfd, pidfd, int(name), 0)
        if fd < 0:
            continue
        try:
            s = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)
            continue
        try:
            if s.family == socket.AF_UNIX and str(s.getpeername()).endswith("qmp.sock"):
                s.shutdown(socket.SHUT_RDWR)
                cut_any = True
        except OSError:
            pass
        s.close()
    os.close(pidfd)
    if not cut_any:
        sys.exit("no QMP connection found in process %d" % pid)


def hmp(path, cmd):
    s = socket.socket(socket.AF_UNIX)
    deadline = time.time() + 20
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting
    f.write('{"execute":"qmp_capabilities"}\n')
    f.flush()
    json.loads(f.readline())
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    while True:
        msg = json.loads(f.readline())
        if "return" in msg or "error" in msg:
            print(json.dumps(msg))
            break
    s.close()


def idle(path, n, seconds):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        socks.append(s)
    print("holding", len(socks), flush=True)
    time.sleep(seconds)


if __name__ == "__main__":
    if sys.argv[1] == "cut":
        cut(int(sys.argv[2]))
    elif sys.argv[1] == "hmp":
        hmp(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "idle":
        idle(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
