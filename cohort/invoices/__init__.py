"""Documents: gap-free numbering, issuing with snapshots, (later) PDF rendering."""
