# The benchmark (docs/benchmark.md). Full size by hand; the smoke size runs in CI (tests/test_bench_smoke.py).
PYTHON ?= .venv/bin/python

.PHONY: bench bench-smoke

bench:
	$(PYTHON) bench/run.py $(ARGS)

bench-smoke:
	$(PYTHON) bench/run.py --smoke $(ARGS)
