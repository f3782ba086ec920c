"""Performance assessment use cases: callbacks and the reopen rule, computing and publishing periods,
appeals, the XLSX export and the benchmark."""
