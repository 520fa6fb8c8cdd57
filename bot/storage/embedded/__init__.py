"""The data-directory backend: TinyDB snapshots, a journal, group commit, one process."""
