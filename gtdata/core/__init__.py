"""Factor spaces, ground-truth data, splits, intervention pairs and in-memory sets."""
