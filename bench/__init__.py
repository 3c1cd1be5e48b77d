"""The benchmarks (run as scripts: ``python bench/run_all.py``); a package so the test suite can drive the
same soak (``bench.soak.Soak``) on the simulator's manual clock."""
