"""Speed, memory and quality measurements; run them all with `make bench` (not timed tests)."""
