"""Firmware build, runners and the result format: C -> a measured run on a board or its stand-in.

- ``toolchain``: arm-none-eabi-gcc check, flags from the board spec, compile/link
- ``linker``: board memory layout, linker script (emulator/hardware origins)
- ``elf``: symbols and the flash/RAM size report
- ``results``: the firmware's results block / info record decoded on the host
- ``runners``: ``QemuRunner`` (default) and ``PyocdRunner`` (real boards)
- ``result``: result.json (schema ``specs/schemas/result.schema.json``), output.npy, JUnit
"""
