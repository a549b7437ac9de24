"""Patch-based inference (MCUNetV2): the first ops of a model run patch by patch.

- ``schedule``: a schedule (split op, patch grid) and the spec's ``patch:`` policy;
- ``regions``: receptive-field arithmetic (the input block and padding of an output block);
- ``stage``: which first ops can run per patch;
- ``unroll``: a schedule as a plain IR graph (SLICE, the stage's ops per patch, PASTE);
- ``search``: the schedule of lowest peak SRAM under an instruction cap.
"""
