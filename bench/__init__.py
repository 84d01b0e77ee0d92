"""The benchmark: `make bench` (python -m bench) pushes generated reports of N rows into the
Salesforce emulator through the real pipeline and writes BENCHMARKS.md, bench/results.json
and bench/plot.png.

Modules: emulator (the emulator in its own process, driven over HTTP), workspace (the
throwaway Django environment and the org/report/integration setup), sync_once (one
measured run in a fresh process), baseline (the one-record-at-a-time script a user would
otherwise write), report (the Markdown table and the plot), command (the driver).
"""
