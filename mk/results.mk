# `make results`: rerun both compare scenarios and regenerate docs/RESULTS.md with its plots
# (scripts/make-results.sh; about 6 CPU-minutes on 2 cores after the build).
.PHONY: results

results: build
	scripts/make-results.sh
