"""One module per CLI command; each takes parsed arguments and returns an
exit status. They all work headless through bootstrap and the service."""
