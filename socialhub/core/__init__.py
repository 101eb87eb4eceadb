"""Pure logic: no I/O, no front ends. Text rules, states, time, manifest schemas."""
