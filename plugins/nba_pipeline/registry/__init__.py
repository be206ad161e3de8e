"""The declarative processor registry: what runs, what it reads and writes, how it is guarded."""
