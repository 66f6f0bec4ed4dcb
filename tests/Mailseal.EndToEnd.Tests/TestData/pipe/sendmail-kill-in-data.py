#!/usr/bin/python3
# Test-only stand-in for Postfix's sendmail, given to mailseal-pipe with --sendmail-path.
# It runs the real sendmail with the same arguments and relays the SMTP dialogue both ways;
# once sendmail has answered DATA with 354 and KILL_AFTER bytes of message content have
# passed, it SIGKILLs the pid in PID_FILE (mailseal-pipe, its parent), passes on what is still
# in the pipe, and closes sendmail's stdin: sendmail -bs sees its client vanish mid-DATA.
# What it saw goes to REPORT_FILE for the test.
# usage: sendmail-kill-in-data.py PID_FILE KILL_AFTER REPORT_FILE SENDMAIL [sendmail args...]
import os, signal, subprocess, sys, threading

pid_file, kill_after, report_file, sendmail = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
child = subprocess.Popen([sendmail] + sys.argv[5:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
state = {"data": False, "354": False, "content": 0, "killed": None}

def replies():
    while True:
        chunk = os.read(child.stdout.fileno(), 16384)
        if not chunk:
            break
        if state["data"] and b"354 " in chunk:
            state["354"] = True
        try:
            os.write(1, chunk)
        except OSError:
            pass  # mailseal-pipe is gone

t = threading.Thread(target=replies, daemon=True)
t.start()
window = b""
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    if not state["data"]:
        window = (window + chunk)[-8192:]
        at = window.find(b"\r\nDATA\r\n")
        if at >= 0:
            state["data"] = True
            state["content"] = len(window) - at - 8
    else:
        state["content"] += len(chunk)
    child.stdin.write(chunk)
    if state["data"] and state["killed"] is None and state["content"] >= kill_after:
        pid = int(open(pid_file).read().strip())
        state["killed"] = pid
        state["at"] = state["content"]
        os.kill(pid, signal.SIGKILL)
child.stdin.close()
child.wait()
t.join(5)
with open(report_file, "w") as f:
    f.write("data=%s saw354=%s killed=%s content_at_kill=%s sendmail_exit=%s\n" % (
        state["data"], state["354"], state["killed"], state.get("at"), child.returncode))
