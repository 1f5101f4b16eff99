"""On-disk storage shared by the benchmark loaders and the renderer: cache layout, prepared store, HDF5."""
