"""Outside services behind small interfaces; the implementation is chosen by configuration."""
