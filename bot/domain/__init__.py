"""The pure core: no I/O, no clock, no third-party adapters. Time is always a parameter."""
