"""TinyNAS: search-space optimization, then evolutionary search of a one-shot supernet's
subnetworks under the board's SRAM, flash and latency constraints."""
