"""The task pipeline's heavy stages as plain functions (the SCons tools in rules/ only wire
them): TinyNAS for a task on a board, then training, int8 quantization and export."""
