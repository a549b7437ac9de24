"""A ``Transport`` over the GDB remote serial protocol.

It lets ``PyocdRunner``'s protocol drive any GDB stub. The test suite uses it on QEMU's
``netduinoplus2`` (an STM32F405: the F4 family's RCC/GPIO/USART layout) running an
f412 *hardware* build, so the results block, the host-written input and the UART line
are checked end to end without a board. ``flash`` writes the image's load segments
with ``M`` packets: right for RAM-backed or emulated flash (QEMU), not for a real chip's
flash controller (use ``PyocdTransport`` there).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from elftools.elf.elffile import ELFFile

from .pyocd import ProbeFailure, TransferFault

CHUNK = 1024


class GdbRemoteTransport:
    def __init__(self, host: str = "127.0.0.1", port: int = 1234, *, timeout_s: float = 10.0):
        self.addr = (host, port)
        self.timeout_s = timeout_s
        self.sock: socket.socket | None = None
        self.running = False
        self._buf = b""

    # -- packets --
    def open(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                self.sock = socket.create_connection(self.addr, timeout=self.timeout_s)
                # small packets both ways: without this each exchange waits for a delayed ACK
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                break
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise ProbeFailure(f"GDB stub {self.addr[0]}:{self.addr[1]}: {exc}") from None
                time.sleep(0.05)
        self._command("?")  # stop reason; also syncs the protocol

    def close(self) -> None:
        """Detach, so the core runs on as a board does when pyOCD closes its session (the
        firmware may still be printing after its results), then drop the connection."""
        if self.sock is not None:
            try:
                self._command("D")
            except (TransferFault, ProbeFailure, OSError):
                pass  # the stub is gone already: nothing to detach from
            try:
                self.sock.close()
            finally:
                self.sock = None

    def _send(self, payload: str) -> None:
        data = payload.encode("latin-1")
        frame = b"$" + data + b"#" + f"{sum(data) & 0xFF:02x}".encode()
        for _ in range(3):
            self.sock.sendall(frame)
            ack = self._read_byte()
            if ack == b"+":
                return
        raise TransferFault(f"GDB stub did not acknowledge {payload[:20]!r}")

    def _read_byte(self) -> bytes:
        if not self._buf:
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                raise TransferFault("GDB stub timed out") from None
            except OSError as exc:
                raise ProbeFailure(f"GDB stub connection lost ({exc})") from None
            if not chunk:
                raise ProbeFailure("GDB stub closed the connection")
            self._buf = chunk
        b, self._buf = self._buf[:1], self._buf[1:]
        return b

    def _read_packet(self) -> str:
        while self._read_byte() != b"$":
            pass
        body = bytearray()
        while (b := self._read_byte()) != b"#":
            body += b
        check = self._read_byte() + self._read_byte()
        if int(check, 16) != sum(body) & 0xFF:
            self.sock.sendall(b"-")
            raise TransferFault("GDB packet checksum mismatch")
        self.sock.sendall(b"+")
        return body.decode("latin-1")

    def _command(self, payload: str) -> str:
        self._send(payload)
        reply = self._read_packet()
        if reply.startswith("E") and len(reply) == 3:
            raise TransferFault(f"GDB stub error {reply} for {payload[:24]!r}")
        return reply

    # -- Transport --
    def flash(self, elf: Path) -> None:
        with open(elf, "rb") as fh:
            for seg in ELFFile(fh).iter_segments():
                if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]:
                    self.write_memory(seg["p_paddr"], seg.data())

    def reset_halt(self) -> None:
        """QEMU: ``monitor system_reset`` then the core sits at the reset vector until resumed."""
        self.halt()
        self._send("qRcmd," + b"system_reset".hex())
        while True:  # console output packets ('O...') until OK
            reply = self._read_packet()
            if reply == "OK" or reply.startswith("E") or reply == "":
                break

    def resume(self) -> None:
        self._send("c")
        self.running = True

    def halt(self) -> None:
        if not self.running:
            return
        self.sock.sendall(b"\x03")
        while not self._read_packet().startswith(("S", "T")):
            pass
        self.running = False

    def state(self) -> str:
        if not self.running:
            return "halted"
        self.sock.setblocking(False)
        try:
            self._buf += self.sock.recv(4096)
        except BlockingIOError:
            pass
        finally:
            self.sock.settimeout(self.timeout_s)
        if b"$" in self._buf:  # a stop reply arrived
            self._read_packet()
            self.running = False
            return "halted"
        return "running"

    def _paused(self, fn):
        """All-stop stubs serve memory only while halted: pause around an access."""
        was_running = self.running
        if was_running:
            self.halt()
        try:
            return fn()
        finally:
            if was_running:
                self.resume()

    def read_memory(self, addr: int, size: int) -> bytes:
        def read():
            out = bytearray()
            for off in range(0, size, CHUNK):
                n = min(CHUNK, size - off)
                out += bytes.fromhex(self._command(f"m{addr + off:x},{n:x}"))
            return bytes(out)

        return self._paused(read)

    def write_memory(self, addr: int, data: bytes) -> None:
        def write():
            for off in range(0, len(data), CHUNK):
                part = data[off : off + CHUNK]
                if self._command(f"M{addr + off:x},{len(part):x}:{part.hex()}") != "OK":
                    raise TransferFault(f"write at 0x{addr + off:08x} refused")

        self._paused(write)

    def read32(self, addr: int) -> int:
        return int.from_bytes(self.read_memory(addr, 4), "little")

    def write32(self, addr: int, value: int) -> None:
        self.write_memory(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def insert_breakpoint(self, addr: int) -> None:
        """A software breakpoint on a Thumb instruction: the stub stops the core before it."""
        if self._paused(lambda: self._command(f"Z0,{addr:x},2")) != "OK":
            raise TransferFault(f"breakpoint at 0x{addr:08x} refused")

    def read_pc(self) -> int:
        return self.read_register("pc")

    def read_register(self, name: str) -> int:
        """From the 'g' packet (r0..r15, 8 hex digits each; not every stub serves 'p')."""
        n = _register_number(name)
        regs = self._paused(lambda: self._command("g"))
        return int.from_bytes(bytes.fromhex(regs[n * 8 : (n + 1) * 8]), "little")

    def write_register(self, name: str, value: int) -> None:
        """Through 'g' then 'G' (all registers): QEMU serves 'P' only to a client that read
        its target description."""
        n = _register_number(name)

        def write():
            regs = self._command("g")
            new = regs[: n * 8] + (value & 0xFFFFFFFF).to_bytes(4, "little").hex() + regs[(n + 1) * 8 :]
            if self._command("G" + new) != "OK":
                raise TransferFault(f"writing register {name} refused")

        self._paused(write)


_REGISTER_NAMES = {"sp": 13, "lr": 14, "pc": 15}


def _register_number(name: str) -> int:
    """GDB's number of an Arm core register: r0..r15, sp, lr, pc."""
    return _REGISTER_NAMES[name] if name in _REGISTER_NAMES else int(name[1:])
