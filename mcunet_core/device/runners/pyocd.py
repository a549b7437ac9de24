"""Real-board runner through pyOCD: discover the probe, flash, run, read the results back.

Protocol (``PyocdRunner.run``), over a ``Transport`` so it can be tested without a board:

1. flash the ELF; reset and halt at the reset vector;
2. clear the results block's magic (RAM survives a reset), write the input into the
   image's input buffer and the host command block (``.noinit``: startup does not zero
   them), resume;
3. poll the results magic (or a halt: the firmware ends with BKPT when a debugger is
   attached) until the timeout; at the timeout halt, report a hang and where the PC is;
4. read the results block and the output by the addresses recorded in the ELF
   (``mcunet_info``); cycles come from DWT->CYCCNT and become ms at the board clock.

SWD transfer faults retry the whole session at lower clocks; probe/flash failures are
``device_error`` results, apart from test failures (fault, hang, model error).
Discovery never blocks: with no probe attached the error says to check ``pyocd list``.
"""

from __future__ import annotations

import contextlib
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import yaml

from ...errors import UserError
from ..elf import Elf
from ..results import HOST_INPUT_MAGIC, RESULTS_MAGIC, FirmwareInfo, ResultsBlock
from .base import DeviceError, NoProbeError, RunResult
from .semihost import SemihostHost, judge_exit

DEFAULT_FREQUENCIES = (4_000_000, 1_000_000, 250_000)
DEFAULT_TIMEOUT_S = 60.0
POLL_S = 0.05
PYOCD_LIST_HINT = "`pyocd list` shows the probes pyOCD can see"


# ---- transport -----------------------------------------------------------------------


class TransportError(Exception):
    """Base of what a transport raises."""


class TransferFault(TransportError):
    """An SWD/JTAG transfer failed (noise, clock too high): retry at a lower clock."""


class FlashError(TransportError):
    """Programming or erasing flash failed."""


class ProbeFailure(TransportError):
    """The probe or target connection failed (not retryable by lowering the clock)."""


class Transport(Protocol):
    """What the runner needs from a debug connection. Addresses are target addresses."""

    def open(self) -> None: ...
    def close(self) -> None: ...
    def flash(self, elf: Path) -> None: ...
    def reset_halt(self) -> None: ...
    def resume(self) -> None: ...
    def halt(self) -> None: ...
    def state(self) -> str: ...  # "running" | "halted" | "lockup"
    def read32(self, addr: int) -> int: ...
    def write32(self, addr: int, value: int) -> None: ...
    def read_memory(self, addr: int, size: int) -> bytes: ...
    def write_memory(self, addr: int, data: bytes) -> None: ...
    def read_pc(self) -> int: ...
    def read_register(self, name: str) -> int: ...  # "r0".."r12", "sp", "lr", "pc"
    def write_register(self, name: str, value: int) -> None: ...


@contextlib.contextmanager
def _pyocd_errors():
    """Translate pyOCD's exceptions into the transport's three kinds."""
    from pyocd.core import exceptions as exc

    try:
        yield
    except exc.TransferError as e:
        raise TransferFault(f"{type(e).__name__}: {e}") from e
    except exc.FlashFailure as e:
        raise FlashError(f"{type(e).__name__}: {e}") from e
    except (exc.Error, OSError) as e:
        raise ProbeFailure(f"{type(e).__name__}: {e}") from e


class PyocdTransport:
    """``Transport`` over the pyOCD Python API (never blocks waiting for a probe)."""

    def __init__(self, *, uid: str, target: str, frequency: int, pack: str | None = None):
        self.uid, self.target_name, self.frequency, self.pack = uid, target, frequency, pack
        self.session = None
        self.target = None

    def open(self) -> None:
        from pyocd.core.helpers import ConnectHelper

        options = {"frequency": self.frequency, "target_override": self.target_name}
        if self.pack:
            options["pack"] = [self.pack]
        with _pyocd_errors():
            self.session = ConnectHelper.session_with_chosen_probe(
                blocking=False, unique_id=self.uid, return_first=True, options=options
            )
            if self.session is None:
                raise ProbeFailure(f"probe {self.uid} is not attached; {PYOCD_LIST_HINT}")
            self.session.open()
            self.target = self.session.board.target

    def close(self) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):
                self.session.close()
        self.session = self.target = None

    def flash(self, elf: Path) -> None:
        from pyocd.flash.file_programmer import FileProgrammer

        with _pyocd_errors():
            FileProgrammer(self.session).program(str(elf), file_format="elf")

    def reset_halt(self) -> None:
        with _pyocd_errors():
            self.target.reset_and_halt()

    def resume(self) -> None:
        with _pyocd_errors():
            self.target.resume()

    def halt(self) -> None:
        with _pyocd_errors():
            self.target.halt()

    def state(self) -> str:
        from pyocd.core.target import Target

        with _pyocd_errors():
            st = self.target.get_state()
        return {Target.State.HALTED: "halted", Target.State.LOCKUP: "lockup"}.get(st, "running")

    def read32(self, addr: int) -> int:
        with _pyocd_errors():
            return self.target.read32(addr)

    def write32(self, addr: int, value: int) -> None:
        with _pyocd_errors():
            self.target.write32(addr, value)

    def read_memory(self, addr: int, size: int) -> bytes:
        with _pyocd_errors():
            return bytes(self.target.read_memory_block8(addr, size))

    def write_memory(self, addr: int, data: bytes) -> None:
        with _pyocd_errors():
            self.target.write_memory_block8(addr, list(data))

    def read_pc(self) -> int:
        return self.read_register("pc")

    def read_register(self, name: str) -> int:
        with _pyocd_errors():
            return self.target.read_core_register(name)

    def write_register(self, name: str, value: int) -> None:
        with _pyocd_errors():
            self.target.write_core_register(name, value)


# ---- probes and the hardware map ------------------------------------------------------


@dataclass(frozen=True)
class ProbeInfo:
    uid: str
    description: str = ""


def list_probes() -> list[ProbeInfo]:
    """Attached probes, without waiting (pyOCD's non-blocking discovery)."""
    from pyocd.core.helpers import ConnectHelper

    try:
        probes = ConnectHelper.get_all_connected_probes(blocking=False)
    except Exception as exc:  # USB backend problems: report, don't crash
        raise DeviceError(f"probe discovery failed ({type(exc).__name__}: {exc}); {PYOCD_LIST_HINT}") from None
    return [ProbeInfo(p.unique_id, p.description) for p in probes]


@dataclass(frozen=True)
class HardwareMapEntry:
    """One line of a hardware map (Zephyr twister's format; ``platform`` = our board name)."""

    id: str
    platform: str
    connected: bool = True
    runner: str = "pyocd"
    product: str = ""
    serial: str | None = None
    baud: int = 115200
    frequency: int | None = None
    target: str | None = None  # pyOCD target override (e.g. stm32f746zgtx on a Nucleo)
    pack: str | None = None  # CMSIS pack file


_MAP_KEYS = {"id", "platform", "board", "connected", "runner", "product", "serial", "baud", "frequency", "target",
             "pack", "notes", "available", "pre_script", "post_script", "post_flash_script", "fixtures"}  # fmt: skip


def load_hardware_map(path) -> list[HardwareMapEntry]:
    """Read a hardware map: a YAML list of {id, platform, connected, runner, serial, ...}."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: hardware map not found") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, list):
        raise UserError(f"{path}: a hardware map is a YAML list of probes (- id: ..., platform: ...)")
    entries, errors = [], []
    for i, item in enumerate(data):
        where = f"{path}: entry {i}"
        if not isinstance(item, dict):
            errors.append(f"{where}: expected a mapping")
            continue
        unknown = sorted(set(item) - _MAP_KEYS)
        if unknown:
            errors.append(f"{where}: unknown keys {', '.join(unknown)}")
        uid, board = item.get("id"), item.get("platform", item.get("board"))
        if not uid or not board:
            errors.append(f"{where}: needs 'id' (probe unique ID) and 'platform' (board name)")
            continue
        runner = item.get("runner", "pyocd")
        if runner != "pyocd":
            errors.append(f"{where}: runner {runner!r}: only pyocd is supported")
            continue
        entries.append(
            HardwareMapEntry(
                id=str(uid), platform=str(board), connected=bool(item.get("connected", True)), runner=runner,
                product=str(item.get("product", "")), serial=item.get("serial"), baud=int(item.get("baud", 115200)),
                frequency=int(item["frequency"]) if item.get("frequency") else None,
                target=item.get("target"), pack=item.get("pack"),
            )
        )  # fmt: skip
    if errors:
        raise UserError(errors)
    return entries


# ---- the runner -----------------------------------------------------------------------


def check_target(board, pack: str | None) -> str:
    """The pyOCD target name for ``board``; DeviceError with the way to get it if unsupported."""
    name = getattr(board, "pyocd_target", None)
    if not name:
        raise UserError(f"board {board.name} has no pyOCD target (an emulator-only board): use runner=qemu")
    if pack:
        if not Path(pack).is_file():
            raise UserError(f"board {board.name}: CMSIS pack {pack} not found")
        return name
    from pyocd.target import TARGET

    if name in TARGET:
        return name
    with contextlib.suppress(Exception):
        from pyocd.target.pack.pack_target import ManagedPacks

        if any(dev.part_number.lower() == name.lower() for dev in ManagedPacks.get_installed_targets()):
            return name
    hint = getattr(board, "pyocd_pack", None)
    how = f"run `{hint.install}` once (needs internet) or give the pack file ({hint.name}) as pack: in the board spec or hardware map" if hint else "install its CMSIS pack (`pyocd pack install <part>`)"  # fmt: skip
    raise DeviceError(f"board {board.name}: pyOCD has no target {name!r}: {how}")


class PyocdRunner:
    name = "pyocd"

    def __init__(
        self,
        board,
        *,
        probe: str | None = None,
        hardware_map=None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        frequencies=DEFAULT_FREQUENCIES,
        transport_factory: Callable[..., Transport] | None = None,
        list_probes: Callable[[], list[ProbeInfo]] = list_probes,
        poll_s: float = POLL_S,
    ):
        self.board = board
        self.probe = probe
        self.hardware_map = load_hardware_map(hardware_map) if isinstance(hardware_map, (str, Path)) else hardware_map
        self.timeout_s = float(timeout_s)
        self.frequencies = tuple(frequencies)
        self.transport_factory = transport_factory or PyocdTransport
        self.list_probes = list_probes
        self.poll_s = poll_s

    # -- discovery --
    def select_probe(self) -> tuple[str, HardwareMapEntry | None]:
        """The probe to use: ``probe=``, else the hardware map's for this board, else the only one."""
        attached = {p.uid: p for p in self.list_probes()}
        listing = ", ".join(f"{u} ({p.description})" if p.description else u for u, p in sorted(attached.items())) or "none"
        entries = self.hardware_map or []
        board = self.board.name
        if self.probe:
            matches = [u for u in attached if self.probe in u]
            if not matches:
                raise NoProbeError(f"probe={self.probe}: no such probe attached (attached: {listing}); {PYOCD_LIST_HINT}")
            if len(matches) > 1:
                raise UserError(f"probe={self.probe} matches several probes ({', '.join(sorted(matches))}): give more of the ID")
            uid = matches[0]
            entry = next((e for e in entries if e.id == uid), None)
            if entry is not None and entry.platform != board:
                raise UserError(f"probe {uid} is connected to board {entry.platform} (hardware map), not {board}")
            return uid, entry
        if entries:
            mine = [e for e in entries if e.platform == board and e.connected]
            if not mine:
                raise NoProbeError(f"hardware map lists no connected probe for board {board} (boards: {', '.join(sorted({e.platform for e in entries}))})")
            present = [e for e in mine if e.id in attached]
            if not present:
                raise NoProbeError(f"board {board}: probe {', '.join(e.id for e in mine)} from the hardware map is not attached (attached: {listing}); {PYOCD_LIST_HINT}")
            return present[0].id, present[0]
        if not attached:
            raise NoProbeError(f"board {board}: no debug probe found (is the board's probe plugged in? {PYOCD_LIST_HINT})")
        if len(attached) > 1:
            raise UserError(f"board {board}: several probes attached ({listing}): choose one with probe=<uid> or a hardware map")
        return next(iter(attached)), None

    # -- one run --
    def run(self, elf, input=None) -> RunResult:
        """mcunet's harness image: flash, write ``input``, run, read the results block back."""
        elf = Path(elf)
        image = Elf(elf)
        info = FirmwareInfo.from_elf(image, variant="hardware")
        data = info.input_bytes_from(bytes(info.input_bytes) if input is None else input)
        return self._connected(image, lambda t, result: self._session(t, image, info, data, result), info=info)

    def run_app(self, elf, *, expect=()) -> RunResult:
        """An application's own image (its startup, not mcunet's harness): flash, reset, run,
        serving its semihosting calls (``semihost``) until it exits; its console and exit
        status are the result (``semihost.judge_exit``)."""
        image = Elf(Path(elf))
        return self._connected(image, lambda t, result: self._app_session(t, image, result, expect))

    def _connected(self, image: Elf, session, info=None) -> RunResult:
        """Pick the probe and target, then ``session(transport, result)`` with SWD clock
        retries; probe and flash failures become device_error results."""
        elf = image.path
        uid, entry = self.select_probe()
        pack = (entry.pack if entry else None) or (getattr(getattr(self.board, "pyocd_pack", None), "file", None))
        target = entry.target if entry and entry.target else None
        if target is None:  # pyOCD must know the part; another transport (a GDB stub) need not
            target = check_target(self.board, pack) if self.transport_factory is PyocdTransport else self.board.pyocd_target
        first = entry.frequency if entry and entry.frequency else self.frequencies[0]
        freqs = (first,) + tuple(f for f in self.frequencies if f < first)  # retries only go lower
        result = RunResult(board=self.board.name, runner=self.name, status="device_error", elf=elf,
                           clock_hz=int(self.board.clock_hz), info=info, extra={"probe": uid, "target": target})  # fmt: skip
        faults: list[str] = []
        start = time.monotonic()
        for freq in freqs:
            transport = self.transport_factory(uid=uid, target=target, frequency=freq, pack=pack)
            result.extra["swd_hz"] = freq
            try:
                transport.open()
                session(transport, result)
                break
            except TransferFault as exc:
                faults.append(f"{freq / 1e6:g} MHz: {exc}")
                continue
            except FlashError as exc:
                result.message = f"flashing {elf.name} through probe {uid} failed: {exc}"
                break
            except ProbeFailure as exc:
                result.message = f"probe {uid}: {exc}"
                break
            finally:
                transport.close()
        else:
            result.message = f"probe {uid}: SWD transfer faults at every clock tried ({'; '.join(faults)}); check wiring and power"
        if faults:
            result.extra["transfer_faults"] = len(faults)
        result.wall_s = time.monotonic() - start
        return result

    def _app_session(self, t: Transport, image: Elf, result: RunResult, expect) -> None:
        result.status, result.message = "device_error", ""
        t.flash(image.path)
        t.reset_halt()
        t.resume()
        host = SemihostHost()
        deadline = time.monotonic() + self.timeout_s
        while host.exit_code is None:
            state = t.state()
            if state == "halted" and host.serve(t):
                if host.exit_code is None:
                    t.resume()
                continue
            if state == "running" and time.monotonic() < deadline:
                time.sleep(self.poll_s)
                continue
            if state == "running":
                t.halt()
            result.console = host.text
            self._stopped(t, image, result, state)
            return
        result.console, result.exit_code = host.text, host.exit_code
        judge_exit(result, expect)

    def _stopped(self, t: Transport, image: Elf, result: RunResult, state: str) -> None:
        """A run that ended without its result: lockup, a halt of its own, or the timeout."""
        pc = t.read_pc()
        where = image.symbolize(pc)
        at = f"pc=0x{pc:08x}" + (f" ({where})" if where else "")
        if state == "lockup":
            result.status, result.fault = "fault", {"lockup": True}
            result.message = f"core lockup at {at}"
        elif state == "halted":
            result.status, result.message = "fault", f"core halted without a result at {at}"
        else:
            result.status = "hang"
            result.message = f"no result within {self.timeout_s:g} s: stopped at {at}"

    def _session(self, t: Transport, image: Elf, info: FirmwareInfo, data: bytes, result: RunResult) -> None:
        result.status, result.message = "device_error", ""
        t.flash(image.path)
        t.reset_halt()
        t.write32(info.results_addr, 0)  # a previous run's magic survives reset
        t.write_memory(info.input_addr, data)
        t.write_memory(info.host_cmd_addr, struct.pack("<II", HOST_INPUT_MAGIC, len(data)))
        t.resume()
        deadline = time.monotonic() + self.timeout_s
        state = "running"
        while True:
            if t.read32(info.results_addr) == RESULTS_MAGIC:
                break
            state = t.state()
            if state != "running" or time.monotonic() >= deadline:
                break
            time.sleep(self.poll_s)
        done = t.read32(info.results_addr) == RESULTS_MAGIC
        if not done:
            if state == "running":
                t.halt()
            self._stopped(t, image, result, state)
            return
        t.halt()
        block = ResultsBlock.decode(t.read_memory(info.results_addr, info.results_bytes))
        result.block = block
        result.status = block.status_name
        result.stack_used, result.stack_size = block.stack_used, block.stack_size
        if block.status_name in ("ok", "model_error"):
            result.count, result.count_kind = block.count, block.count_kind_name
            result.postprocess_count = block.post_count
        if block.status_name == "ok":
            result.output = info.output_array(t.read_memory(block.output_addr, block.output_bytes))
        elif block.status_name == "fault":
            result.fault = block.fault(image)
        elif block.status_name == "model_error":
            result.message = f"mcunet_invoke() returned {block.invoke_ret}"
        elif block.status_name == "input_error":
            result.message = "the firmware rejected the input the probe wrote"
