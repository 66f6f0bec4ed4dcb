#!/usr/bin/env python3
"""hangfs.py MOUNTPOINT - a FUSE file system whose files never answer a read.

A test stand-in for a hung network file system (an NFS server gone away): every name in
it is a regular file of 4096 bytes, 0644; stat(2) and open(2) answer at once, read(2)
never does. A name that contains "hang-open" hangs in open(2) instead. The kernel lets a
fatal signal end a process waiting on a FUSE request, so the tool under test can still
exit; killing this process aborts every request still waiting.
Needs python3-fusepy (Debian) and /dev/fuse; runs in the foreground until killed.
"""
import stat
import sys
import threading
import time

try:
    from fusepy import FUSE, Operations  # Debian's python3-fusepy names the module fusepy
except ImportError:
    from fuse import FUSE, Operations  # the name on PyPI

FOREVER = threading.Event()


class HangFs(Operations):
    def getattr(self, path, fh=None):
        now = time.time()
        if path == "/":
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_size=0,
                        st_atime=now, st_mtime=now, st_ctime=now)
        return dict(st_mode=stat.S_IFREG | 0o644, st_nlink=1, st_size=4096,
                    st_atime=now, st_mtime=now, st_ctime=now)

    def readdir(self, path, fh):
        return [".", ".."]

    def open(self, path, flags):
        if "hang-open" in path:
            FOREVER.wait()
        return 0

    def read(self, path, size, offset, fh):
        FOREVER.wait()
        return b""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: hangfs.py MOUNTPOINT")
    FUSE(HangFs(), sys.argv[1], foreground=True, nothreads=False, allow_other=True, ro=True)
