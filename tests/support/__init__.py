"""Helpers and small KBs shared by the tests of every stage."""
