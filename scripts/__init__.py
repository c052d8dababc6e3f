"""Developer tools run by the Makefile (not pipeline stages)."""
