"""An application's own firmware, judged by what it says: Arm semihosting served by the probe.

mcunet's harness reports through its results block; an application with its own startup
reports the way test builds of firmware usually do, through semihosting: console text
(``SYS_WRITE0``, ``SYS_WRITEC``, ``SYS_WRITE`` to fd 1 or 2) and an exit status
(``SYS_EXIT_EXTENDED``; ``SYS_EXIT`` gives 0 or 1). QEMU serves those calls itself; on a
board, ``SemihostHost.serve`` does it over the probe's ``Transport`` each time the core halts
at ``bkpt 0xab`` (read r0/r1, do the call, r0 = its result, step past the bkpt, resume).
``judge_exit`` turns the exit status into the run's status for both runners.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SYS_WRITEC = 0x03
SYS_WRITE0 = 0x04
SYS_WRITE = 0x05
SYS_EXIT = 0x18
SYS_EXIT_EXTENDED = 0x20
ADP_STOPPED_APPLICATION_EXIT = 0x20026
BKPT_SEMIHOSTING = 0xBEAB  # Thumb `bkpt 0xab`
CONSOLE_FDS = (1, 2)
MAX_STRING = 4096  # a SYS_WRITE0 string longer than this is cut (a missing NUL)
CHUNK = 64
APP_ERROR = "app_error"  # the application ran and exited non-zero (or said less than expected)


@dataclass
class SemihostHost:
    """The host side of the semihosting calls of one run: the console so far, the exit status."""

    console: bytearray = field(default_factory=bytearray)
    exit_code: int | None = None
    calls: int = 0

    def serve(self, t) -> bool:
        """The core is halted: if at a semihosting bkpt, do the call and step past it (True);
        anything else (a fault, another breakpoint) is the caller's (False)."""
        pc = t.read_pc()
        if int.from_bytes(t.read_memory(pc & ~1, 2), "little") != BKPT_SEMIHOSTING:
            return False
        op, arg = t.read_register("r0"), t.read_register("r1")
        t.write_register("r0", self._call(t, op, arg) & 0xFFFFFFFF)
        t.write_register("pc", pc + 2)
        self.calls += 1
        return True

    def _call(self, t, op: int, arg: int) -> int:
        if op == SYS_WRITE0:
            self.console += _c_string(t, arg)
            return 0
        if op == SYS_WRITEC:
            self.console += t.read_memory(arg, 1)
            return 0
        if op == SYS_WRITE:
            fd, ptr, n = (int.from_bytes(t.read_memory(arg + 4 * i, 4), "little") for i in range(3))
            if fd not in CONSOLE_FDS:
                return n  # nothing written: no files on this host
            self.console += t.read_memory(ptr, n) if n else b""
            return 0
        if op == SYS_EXIT:  # 32-bit: r1 is the reason itself
            self.exit_code = 0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1
            return 0
        if op == SYS_EXIT_EXTENDED:
            reason, code = (int.from_bytes(t.read_memory(arg + 4 * i, 4), "little") for i in range(2))
            self.exit_code = code if reason == ADP_STOPPED_APPLICATION_EXIT else 1
            return 0
        return -1  # files, clocks, reads: not served

    @property
    def text(self) -> str:
        return self.console.decode("utf-8", "replace")


def _c_string(t, addr: int) -> bytes:
    out = bytearray()
    while len(out) < MAX_STRING:
        chunk = t.read_memory(addr + len(out), CHUNK)
        end = chunk.find(0)
        if end >= 0 or not chunk:
            return bytes(out + chunk[:end]) if end >= 0 else bytes(out)
        out += chunk
    return bytes(out)


def judge_exit(result, expect=()) -> None:
    """An application run's status from its exit status and console: 0 and every ``expect``
    text present is ok; otherwise ``app_error`` with what was wrong."""
    if result.exit_code != 0:
        result.status, result.message = APP_ERROR, f"the application exited with status {result.exit_code}"
        return
    missing = [text for text in expect if text not in result.console]
    if missing:
        result.status = APP_ERROR
        result.message = "the console lacks " + "; ".join(repr(m if len(m) <= 60 else m[:57] + "...") for m in missing)
        return
    result.status, result.message = "ok", ""
