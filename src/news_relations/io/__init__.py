"""Readers and writers: brat standoff, inline markup, Prodigy JSONL and CoNLL04, all to and from Doc."""
