"""The nightly recommendation batch (issue 9): queries, partitions, Dask execution, the
run diff and the report."""
